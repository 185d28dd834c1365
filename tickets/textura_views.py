"""Textura pages: architects (T3) and romaneios (T5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from workflows.engine import TransitionRefused, available_events, transition
from workflows.models import AuditEntry
from workflows.roles import MANAGER, SUPPORT, has_role

from . import forms, textura
from .models import Architect, Romaneio
from .views import SUPPORT_ROLES, done, form_response, require_roles

EDITORS = (SUPPORT, MANAGER)


@login_required
def architects(request):
    require_roles(request.user, *SUPPORT_ROLES)
    q = (request.GET.get("q") or "").strip()
    context = {
        "architects": textura.search_architects(q)[:200],
        "q": q,
        "can_edit": has_role(request.user, *EDITORS),
    }
    template = "tickets/_architect_rows.html" if request.htmx else "tickets/architects.html"
    return render(request, template, context)


@login_required
def architect_edit(request, pk=None):
    """T3: add or update an architect (contacts, vínculos, notes); every save is kept."""
    require_roles(request.user, *EDITORS)
    architect = get_object_or_404(Architect, pk=pk) if pk else None
    form = forms.ArchitectForm(request.POST or None, instance=architect)
    if request.method == "POST" and form.is_valid():
        # The form already wrote into its instance: compare against the stored row.
        stored = Architect.objects.get(pk=architect.pk) if architect else None
        saved = textura.save_architect(form.cleaned_data, actor=request.user, architect=stored)
        verb = "incluído" if architect is None else "atualizado"
        return done(request, f"Arquiteto {saved.name} {verb}.", reverse("tickets:architects"))
    context = {
        "form": form,
        "architect": architect,
        "changes": architect.changes.select_related("author") if architect else [],
        "labels": {f: Architect._meta.get_field(f).verbose_name for f in Architect.TRACKED},
        "action_url": request.path,
        "title": f"Arquiteto · {architect}" if architect else "Incluir arquiteto",
        "submit": "Salvar",
        "form_id": "form-arquiteto",
        "back_url": reverse("tickets:architects"),
    }
    status = 422 if request.method == "POST" else 200
    if request.htmx:
        return form_response(request, context, status)
    return render(request, "tickets/architect_form.html", context, status=status)


@login_required
def romaneios(request):
    require_roles(request.user, *SUPPORT_ROLES)
    state = request.GET.get("estado", Romaneio.State.PENDING)
    rows = Romaneio.objects.select_related("architect").prefetch_related("items")
    if state in Romaneio.State.values:
        rows = rows.filter(state=state)
    counts = {s: Romaneio.objects.filter(state=s).count() for s in Romaneio.State.values}
    context = {
        "romaneios": rows[:200],
        "state": state,
        "states": [(v, label, counts[v]) for v, label in Romaneio.State.choices],
        "can_edit": has_role(request.user, *EDITORS),
    }
    return render(request, "tickets/romaneios.html", context)


@login_required
def romaneio_edit(request, pk=None):
    """T5: header (number, date, store, architect/client) and items in one form."""
    require_roles(request.user, *EDITORS)
    romaneio = get_object_or_404(Romaneio, pk=pk) if pk else Romaneio()
    if romaneio.pk and romaneio.state != Romaneio.State.PENDING:
        messages.error(request, "Só romaneios pendentes podem ser editados.")
        return redirect("tickets:romaneio", pk=romaneio.pk)
    mark_typed = "digitado" in request.POST
    form = forms.RomaneioForm(request.POST or None, instance=romaneio)
    formset = forms.RomaneioItemFormSet(request.POST or None, instance=romaneio, prefix="itens")
    formset.require_items = mark_typed
    refusal = None
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            saved = textura.save_romaneio(form, formset, actor=request.user, mark_typed=mark_typed)
        except TransitionRefused as refused:
            refusal = refused
        else:
            label = "digitado" if mark_typed else "salvo como pendente"
            return done(
                request,
                f"Romaneio {saved.number} {label}.",
                reverse("tickets:romaneio", args=[saved.pk]),
            )
    context = {"form": form, "formset": formset, "romaneio": romaneio, "refusal": refusal}
    status = 422 if request.method == "POST" else 200
    return render(request, "tickets/romaneio_form.html", context, status=status)


ROMANEIO_ACTIONS = {
    "type_in": "Marcar como digitado",
    "confirm": "Marcar como conferido",
    "back_to_typing": "Voltar para digitação",
}


@login_required
def romaneio_detail(request, pk):
    require_roles(request.user, *SUPPORT_ROLES)
    romaneio = get_object_or_404(Romaneio.objects.select_related("architect"), pk=pk)
    events = set(available_events(romaneio, request.user))
    context = {
        "romaneio": romaneio,
        "items": romaneio.items.all(),
        "audit": AuditEntry.for_object(romaneio).select_related("actor"),
        "actions": [(e, label) for e, label in ROMANEIO_ACTIONS.items() if e in events],
        "can_edit": romaneio.state == Romaneio.State.PENDING and has_role(request.user, *EDITORS),
        "labels": dict(Romaneio.State.choices),
    }
    return render(request, "tickets/romaneio_detail.html", context)


@login_required
def romaneio_action(request, pk, event):
    require_roles(request.user, *SUPPORT_ROLES)
    romaneio = get_object_or_404(Romaneio, pk=pk)
    if event not in ROMANEIO_ACTIONS:
        return redirect("tickets:romaneio", pk=pk)
    label = ROMANEIO_ACTIONS[event]
    form = forms.ActionForm(request.POST or None, reason_label="Observação")
    if event != "back_to_typing":
        form.fields["reason"].required = False
    refusal = None
    if request.method == "POST" and form.is_valid():
        try:
            transition(romaneio, event, actor=request.user, reason=form.cleaned_data["reason"])
        except TransitionRefused as refused:
            refusal = refused
        else:
            return done(request, f"{label}: feito.", reverse("tickets:romaneio", args=[pk]))
    return form_response(
        request,
        {
            "form": form,
            "refusal": refusal,
            "action_url": request.path,
            "title": f"{label} · romaneio {romaneio.number}",
            "submit": label,
            "form_id": f"form-{event}",
            "back_url": reverse("tickets:romaneio", args=[pk]),
        },
        422 if request.method == "POST" else 200,
    )
