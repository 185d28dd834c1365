"""Textura pages: architects (T3) and romaneios (T5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workflows.action_views import (
    act,
    event_action,
    form_response,
    go,
    posted,
    refused_response,
    require_roles,
)
from workflows.engine import actions_for, transition
from workflows.models import AuditEntry
from workflows.refusals import TransitionRefused
from workflows.roles import SUPPORT_ALL, SUPPORT_STAFF, has_role

from . import forms, selectors, textura
from .models import Architect, Romaneio
from .statemachines import RomaneioFlow


@login_required
def architects(request):
    require_roles(request.user, SUPPORT_ALL)
    q = selectors.search_text(request)
    context = {
        "architects": textura.search_architects(q)[:200],
        "q": q,
        "can_edit": has_role(request.user, *SUPPORT_STAFF),
    }
    template = "tickets/_architect_rows.html" if request.htmx else "tickets/architects.html"
    return render(request, template, context)


@login_required
def architect_edit(request, pk=None):
    """T3: add or update an architect (contacts, vínculos, notes); every save is kept."""
    require_roles(request.user, SUPPORT_STAFF)
    architect = get_object_or_404(Architect, pk=pk) if pk else None
    form = forms.ArchitectForm(request.POST or None, instance=architect)
    if request.method == "POST" and form.is_valid():
        # The form already wrote into its instance: compare against the stored row.
        stored = Architect.objects.get(pk=architect.pk) if architect else None
        saved = textura.save_architect(form.cleaned_data, actor=request.user, architect=stored)
        verb = "incluído" if architect is None else "atualizado"
        return go(request, reverse("tickets:architects"), f"Arquiteto {saved.name} {verb}.")
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
    require_roles(request.user, SUPPORT_ALL)
    state = request.GET.get("estado", Romaneio.State.PENDING)
    rows = Romaneio.objects.select_related("architect").prefetch_related("items")
    if state in Romaneio.State.values:
        rows = rows.filter(state=state)
    counts = {s: Romaneio.objects.filter(state=s).count() for s in Romaneio.State.values}
    context = {
        "romaneios": rows[:200],
        "state": state,
        "states": [(v, label, counts[v]) for v, label in Romaneio.State.choices],
        "can_edit": has_role(request.user, *SUPPORT_STAFF),
    }
    return render(request, "tickets/romaneios.html", context)


@login_required
def romaneio_edit(request, pk=None):
    """T5: header (number, date, store, architect/client) and items in one form."""
    require_roles(request.user, SUPPORT_STAFF)
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
            return go(
                request,
                reverse("tickets:romaneio", args=[saved.pk]),
                f"Romaneio {saved.number} {label}.",
            )
    context = {"form": form, "formset": formset, "romaneio": romaneio, "refusal": refusal}
    status = 422 if request.method == "POST" else 200
    return render(request, "tickets/romaneio_form.html", context, status=status)


@login_required
def romaneio_detail(request, pk):
    require_roles(request.user, SUPPORT_ALL)
    romaneio = get_object_or_404(Romaneio.objects.select_related("architect"), pk=pk)
    context = {
        "romaneio": romaneio,
        "items": romaneio.items.all(),
        "audit": AuditEntry.for_object(romaneio).select_related("actor"),
        "actions": actions_for(romaneio, request.user).allowed,
        "can_edit": romaneio.state == Romaneio.State.PENDING
        and has_role(request.user, *SUPPORT_STAFF),
        "labels": dict(Romaneio.State.choices),
    }
    return render(request, "tickets/romaneio_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def romaneio_action(request, pk, event):
    require_roles(request.user, SUPPORT_ALL)
    romaneio = get_object_or_404(Romaneio, pk=pk)
    if event not in RomaneioFlow.actions or not RomaneioFlow.actions[event].roles:
        raise Http404("Ação desconhecida.")
    label = RomaneioFlow.actions[event].label
    title = f"{label} · romaneio {romaneio.number}"
    back = reverse("tickets:romaneio", args=[pk])
    refusal = event_action(romaneio, event, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    form = forms.ActionForm(posted(request), reason_label="Observação")
    form.fields["reason"].required = RomaneioFlow.actions[event].reason
    return act(
        request,
        form,
        perform=lambda d: transition(romaneio, event, actor=request.user, reason=d["reason"]),
        success=f"{label}: feito.",
        redirect_to=back,
        title=title,
        submit=label,
        form_id=f"form-{event}",
    )
