"""Textura: the architects list (T3) and romaneios (T5)."""

from django.db import transaction
from django.db.models import Q

from workflows import clock
from workflows.engine import transition
from workflows.refusals import TransitionRefused

from .models import Architect, ArchitectChange, Romaneio


def _value(value):
    return value if isinstance(value, bool | int | type(None)) else str(value)


def save_architect(data: dict, *, actor, architect: Architect | None = None) -> Architect:
    """T3: add or update an architect; each save keeps who, when and old → new per field."""
    created = architect is None
    architect = architect or Architect()
    before = {f: _value(getattr(architect, f)) for f in Architect.TRACKED}
    for field in Architect.TRACKED:
        if field in data:
            setattr(architect, field, data[field])
    after = {f: _value(getattr(architect, f)) for f in Architect.TRACKED}
    changes = {f: [before[f], after[f]] for f in Architect.TRACKED if before[f] != after[f]}
    if not changes:
        return architect
    with transaction.atomic():
        architect.updated_at = clock.now()
        architect.updated_by = actor
        architect.full_clean()
        architect.save()
        ArchitectChange.objects.create(
            architect=architect, author=actor, at=clock.now(), created=created, changes=changes
        )
    return architect


def search_architects(q: str = ""):
    architects = Architect.objects.all()
    for term in q.split():
        architects = architects.filter(
            Q(name__icontains=term)
            | Q(office__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
            | Q(city__icontains=term)
            | Q(links__icontains=term)
            | Q(notes__icontains=term)
        )
    return architects


def save_romaneio(header_form, items_formset, *, actor, mark_typed=False) -> Romaneio:
    """T5: header and items of a pending romaneio in one transaction; optionally typed in."""
    romaneio = header_form.instance
    if romaneio.pk and romaneio.state != Romaneio.State.PENDING:
        raise TransitionRefused(
            "Só romaneios pendentes podem ser editados; volte-o para digitação antes.", "T5"
        )
    with transaction.atomic():
        romaneio = header_form.save(commit=False)
        if not romaneio.pk:
            romaneio.created_by = actor
            romaneio.created_at = clock.now()
        romaneio.save()
        items_formset.instance = romaneio
        items_formset.save()
        if mark_typed:
            romaneio = transition(
                romaneio, "type_in", actor=actor, reason="Cabeçalho e itens digitados."
            )
    return romaneio


def pending_romaneios():
    return Romaneio.objects.filter(state=Romaneio.State.PENDING)
