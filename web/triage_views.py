"""S8 pages: start a triage from the ficha, follow its passo, offers polled by sellers."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workflows.action_views import act, event_action, posted, refused_response, require_roles
from workflows.engine import actions_for, events_from
from workflows.models import AuditEntry, Ficha, Triage
from workflows.roles import ATTENDANTS
from workflows.statemachines import TriageFlow
from workflows.triage import (
    triage_accept,
    triage_close,
    triage_hand_to_comercial,
    triage_sell,
    triage_send_price,
    triage_start,
    waiting_offers,
)

from . import forms


@login_required
@require_http_methods(["GET", "POST"])
def start(request, pk):
    """S8 1º passo. On GET the ficha page fetches the blank form when the card is opened;
    once started, the agent goes to the triage's page."""
    require_roles(request.user, ATTENDANTS)
    ficha = get_object_or_404(Ficha, pk=pk)
    return act(
        request,
        forms.TriageStartForm(posted(request)),
        perform=lambda data: triage_start(ficha, agent=request.user, **data),
        success="Atendimento iniciado.",
        redirect_to=lambda triage: reverse("triage_detail", args=[triage.pk]),
        title="Cliente entrou em contato",
        submit="Iniciar atendimento",
        form_id="form-atendimento",
    )


def triage_context(triage, user):
    """The triage's page: what the machine lets this user do now (`actions_for`)."""
    actions = actions_for(triage, user)
    return {
        "triage": triage,
        "actions": actions,
        "trail": AuditEntry.for_object(triage).select_related("actor"),
        "can_accept": actions.may("owner_accepts") or actions.may("seller_takes"),
        "can_work": actions.may("record_sale") or actions.may("send_price"),
        "can_hand_to_comercial": actions.may("hand_to_comercial"),
        "can_close": actions.may("close"),
        "waiting": triage.state in (Triage.State.OFFERED_TO_OWNER, Triage.State.OFFERED_TO_TEAM),
        "sale_form": forms.TriageSaleForm(),
        "price_form": forms.PriceForm(),
        "comercial_form": forms.ComercialForm(),
        "close_form": forms.ReasonForm(),
    }


def _triage(pk):
    return get_object_or_404(
        Triage.objects.select_related(
            "ficha", "product", "offered_to", "attendant", "started_by", "sale", "follow_up"
        ),
        pk=pk,
    )


@login_required
def detail(request, pk):
    require_roles(request.user, ATTENDANTS)
    triage = _triage(pk)
    template = "web/_triage_status.html" if request.htmx else "web/triage_detail.html"
    return render(request, template, triage_context(triage, request.user))


def _triage_action(request, pk, events, form, perform, *, success, title, submit, form_id):
    """One triage action: refused up front (403/422) unless the machine allows one of
    `events` for this user in the triage's state."""
    require_roles(request.user, ATTENDANTS)
    triage = _triage(pk)
    back = reverse("triage_detail", args=[triage.pk])
    event = next((e for e in events if e in events_from(TriageFlow, triage.state)), events[0])
    refusal = event_action(triage, event, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        form,
        perform=lambda data: perform(triage, data),
        success=success,
        redirect_to=reverse("triage_detail", args=[triage.pk]),
        title=title,
        submit=submit,
        form_id=form_id,
    )


@login_required
@require_POST
def accept(request, pk):
    return _triage_action(
        request,
        pk,
        ("owner_accepts", "seller_takes"),
        forms.ConfirmForm(request.POST),
        lambda t, d: triage_accept(t, actor=request.user),
        success="Você assumiu o cliente.",
        title="Assumir cliente",
        submit="Assumir",
        form_id="form-assumir",
    )


@login_required
@require_POST
def sell(request, pk):
    def perform(triage, data):
        data["discount"] = data["discount"] or 0
        triage_sell(triage, actor=request.user, **data)

    return _triage_action(
        request,
        pk,
        ("record_sale",),
        forms.TriageSaleForm(request.POST),
        perform,
        success="Venda registrada.",
        title="Registrar venda",
        submit="Registrar venda",
        form_id="form-venda",
    )


@login_required
@require_POST
def price(request, pk):
    return _triage_action(
        request,
        pk,
        ("send_price",),
        forms.PriceForm(request.POST),
        lambda t, d: triage_send_price(t, actor=request.user, **d),
        success="Preço registrado.",
        title="Enviar preço",
        submit="Enviar preço",
        form_id="form-preco",
    )


@login_required
@require_POST
def comercial(request, pk):
    return _triage_action(
        request,
        pk,
        ("hand_to_comercial",),
        forms.ComercialForm(request.POST),
        lambda t, d: triage_hand_to_comercial(t, actor=request.user, **d),
        success="Repassado ao comercial.",
        title="Repassar ao comercial",
        submit="Repassar",
        form_id="form-comercial",
    )


@login_required
@require_POST
def close(request, pk):
    return _triage_action(
        request,
        pk,
        ("close",),
        forms.ReasonForm(request.POST),
        lambda t, d: triage_close(t, actor=request.user, **d),
        success="Atendimento encerrado.",
        title="Encerrar sem venda",
        submit="Encerrar",
        form_id="form-encerrar",
    )


@login_required
def offers(request):
    """Polled every few seconds by sellers' pages: clients waiting for them (S8)."""
    require_roles(request.user, ATTENDANTS)
    mine, team = waiting_offers(request.user)
    return render(request, "web/_offers.html", {"mine": mine, "team": team})
