"""S8 pages: start a triage from the ficha, follow its passo, offers polled by sellers."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workflows import services
from workflows.engine import available_events
from workflows.models import AuditEntry, Ficha, Triage
from workflows.roles import MANAGER, has_role

from . import forms
from .sales_views import ATTENDANTS, act, posted, require_roles


@login_required
@require_http_methods(["GET", "POST"])
def start(request, pk):
    """S8 1º passo. On GET the ficha page fetches the blank form when the card is opened."""
    require_roles(request.user, *ATTENDANTS)
    ficha = get_object_or_404(Ficha, pk=pk)
    started = {}

    def perform(data):
        started["triage"] = services.start_triage(ficha, agent=request.user, **data)

    response = act(
        request,
        forms.TriageStartForm(posted(request)),
        perform=perform,
        success="Atendimento iniciado.",
        redirect_to=reverse("ficha_detail", args=[ficha.pk]),
        title="Cliente entrou em contato",
        submit="Iniciar atendimento",
        form_id="form-atendimento",
    )
    if "triage" in started:  # go to the triage page instead of the ficha
        url = reverse("triage_detail", args=[started["triage"].pk])
        response["HX-Redirect" if request.htmx else "Location"] = url
    return response


def triage_context(triage, user):
    events = set(available_events(triage, user))
    mine = triage.attendant_id == user.pk or has_role(user, MANAGER)
    return {
        "triage": triage,
        "trail": AuditEntry.for_object(triage).select_related("actor"),
        "can_accept": (
            ("owner_accepts" in events and triage.offered_to_id == user.pk)
            or "seller_takes" in events
        ),
        "can_work": mine and bool(events & {"record_sale", "send_price"}),
        "can_hand_to_comercial": mine and "hand_to_comercial" in events,
        "can_close": mine and "close" in events,
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
    require_roles(request.user, *ATTENDANTS)
    triage = _triage(pk)
    template = "web/_triage_status.html" if request.htmx else "web/triage_detail.html"
    return render(request, template, triage_context(triage, request.user))


def _triage_action(request, pk, form, perform, *, success, title, submit, form_id):
    require_roles(request.user, *ATTENDANTS)
    triage = _triage(pk)
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
        forms.ConfirmForm(request.POST),
        lambda t, d: services.accept_triage(t, actor=request.user),
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
        services.triage_sell(triage, actor=request.user, **data)

    return _triage_action(
        request,
        pk,
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
        forms.PriceForm(request.POST),
        lambda t, d: services.send_price(t, actor=request.user, **d),
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
        forms.ComercialForm(request.POST),
        lambda t, d: services.hand_to_comercial(t, actor=request.user, **d),
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
        forms.ReasonForm(request.POST),
        lambda t, d: services.close_triage(t, actor=request.user, **d),
        success="Atendimento encerrado.",
        title="Encerrar sem venda",
        submit="Encerrar",
        form_id="form-encerrar",
    )


@login_required
def offers(request):
    """Polled every few seconds by sellers' pages: clients waiting for them (S8)."""
    mine, team = services.waiting_offers(request.user)
    return render(request, "web/_offers.html", {"mine": mine, "team": team})
