"""Pages of the sales rulebook: the ficha, its action forms and the agendamento actions.

Every action goes through `act()` (workflows.action_views): the form checks types, the
service applies the rules; a refusal re-renders the form with the typed data, each problem on
its field with its rule IDs (403 for a role or ownership refusal, 422 for a rule), success
flashes a message and reloads the ficha.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workflows import (
    agendamentos,
    clock,
    movimentacoes,
    overrides,
    ownership,
    raw_reads,
    selectors,
    selling,
    third_party,
)
from workflows.action_views import (
    act,
    event_action,
    history_url,
    posted,
    refused_response,
    require_roles,
)
from workflows.businessdays import BusinessCalendar
from workflows.engine import actions_for
from workflows.models import (
    Agendamento,
    Ficha,
    Triage,
    with_names,
)
from workflows.roles import ATTENDANTS, is_manager
from workflows.statemachines import AgendamentoFlow

from . import forms


def deadline_label(due: dt.date, today: dt.date, calendar: BusinessCalendar) -> str:
    if due < today:
        return "prazo vencido"
    if due == today:
        return "vence hoje"
    n = calendar.count(today, due)
    unit = "dia útil" if n == 1 else "dias úteis"
    return f"vence em {n} {unit} ({due:%d/%m})"


def agendamento_rows(live, user, *, actions=True, calendar=None):
    """Each live agendamento with its countdown and, with `actions` (the ficha's panel), its
    history link and the actions the machine lets this user take (`actions_for`); the agent's
    home lists only the countdowns. `calendar`: a business-day calendar the caller read that
    covers today through the last due date."""
    today = clock.today()
    live = list(live)
    if not live:
        return []  # no business-day calendar to read
    if calendar is None:
        calendar = BusinessCalendar(today, max(today, max(ag.due_date for ag in live)))
    rows = []
    for ag in live:
        row = {
            "ag": ag,
            "deadline": deadline_label(ag.due_date, today, calendar),
            "overdue": ag.due_date < today,
            "reserves": agendamentos.reserves_sale(ag),
        }
        if actions:
            row["actions"] = actions_for(ag, user).allowed
            row["history_url"] = history_url(ag)
        rows.append(row)
    return rows


def duplicate_suspicions(ficha):
    """G7: live duplicate cases involving this ficha (the central team handles them)."""
    from onboarding.models import DuplicateCase

    return DuplicateCase.objects.filter(
        Q(ficha_a=ficha) | Q(ficha_b=ficha), state__in=DuplicateCase.LIVE
    ).select_related("ficha_a", "ficha_b")


# Sections of the ficha page most fichas do not have: one query finds which ones this ficha
# has (`selectors.sections_present`), and only those are read.
FICHA_SECTIONS = (
    ("pending_changes", lambda ficha: ficha.data_changes.filter(state="pending")),
    ("duplicate_cases", duplicate_suspicions),
    ("sales", lambda ficha: with_names(ficha.sales.all(), "product", "seller", "commission_to")),
    ("overrides", overrides.overrides_for_ficha),
    ("onboarding", lambda ficha: ficha.onboardings.order_by("-started_at", "-pk")),
    ("merged_from", lambda ficha: ficha.merged_from.only("pk", "name")),
    ("orcamentos", lambda ficha: with_names(ficha.orcamentos.all(), "author")),
    (
        "open_triages",
        lambda ficha: with_names(
            ficha.triages.exclude(
                state__in=[Triage.State.SOLD, Triage.State.CLOSED, Triage.State.PRICE_SENT]
            ),
            "product",
            "attendant",
            "offered_to",
        ),
    ),
)
SECTION_LIMITS = {"sales": 20, "orcamentos": 20, "onboarding": 1}  # rows shown


def _sections_sql():
    from onboarding.models import DuplicateCase

    closed_triages = (Triage.State.SOLD, Triage.State.CLOSED, Triage.State.PRICE_SENT)
    words = raw_reads.sql_words
    return {
        "pending_changes": "SELECT 1 FROM workflows_datachangerequest"
        " WHERE ficha_id = %s AND state = 'pending'",
        "duplicate_cases": "SELECT 1 FROM onboarding_duplicatecase WHERE"
        f" (ficha_a_id = %s OR ficha_b_id = %s) AND state IN ({words(DuplicateCase.LIVE)})",
        "sales": "SELECT 1 FROM workflows_sale WHERE ficha_id = %s",
        "overrides": "SELECT 1 FROM workflows_override WHERE ficha_id = %s",
        "onboarding": "SELECT 1 FROM onboarding_onboarding WHERE ficha_id = %s",
        "merged_from": "SELECT 1 FROM workflows_ficha WHERE merged_into_id = %s",
        "orcamentos": "SELECT 1 FROM workflows_orcamento WHERE ficha_id = %s",
        "open_triages": "SELECT 1 FROM workflows_triage"
        f" WHERE ficha_id = %s AND state NOT IN ({words(closed_triages)})",
    }


# The same sections in SQL, for `selectors.sections_present`: what each section's queryset
# reads, as one query tells which of them a ficha has (tests/test_query_counts.py checks that
# both agree on rows in every state).
FICHA_SECTIONS_SQL = _sections_sql()


def ficha_context(ficha, user):
    boletos = list(selectors.ficha_boletos(ficha))
    open_boletos = [b for b in boletos if b.is_open]
    products = selectors.active_products()
    live = selectors.live_agendamentos(ficha)
    sale_live = agendamentos.live_sale_agendamentos(ficha, live)
    present = selectors.sections_present(FICHA_SECTIONS_SQL, ficha.pk)
    ficha_actions = actions_for(ficha, user)
    # the answer form is built only where the page shows it (the template asks the same)
    shows_answer = ficha_actions.may("record_inactivation_answer") and not ficha.inactivation_answer
    shown = {
        name: list(rows_of(ficha)[: SECTION_LIMITS.get(name)]) if name in present else []
        for name, rows_of in FICHA_SECTIONS
    }
    return {
        **shown,
        "onboarding": shown["onboarding"][0] if shown["onboarding"] else None,
        "ficha": ficha,
        "boletos": boletos,
        "open_boletos": open_boletos,
        "open_total": sum(b.amount for b in open_boletos),
        "ownership": [(p, ownership.may_sell(ficha, p, user, live=sale_live)) for p in products],
        "agendamento_rows": agendamento_rows(live, user),
        "movimentacoes": selectors.ficha_movimentacoes(ficha, limit=50),
        "is_manager": is_manager(user),
        "history_url": history_url(ficha),
        "answer_form": forms.AnswerForm() if shows_answer else None,
        "actions": ficha_actions,
        "needs_answer": not ficha.inactivation_answer,
    }


@login_required
def ficha_detail(request, pk):
    require_roles(request.user, ATTENDANTS)
    ficha = selectors.ficha_for_page(pk)
    if ficha is None:
        raise Http404("Ficha não encontrada.")
    if ficha.status == Ficha.Status.MERGED and ficha.merged_into_id:
        messages.warning(
            request,
            f"A ficha nº {ficha.pk} ({ficha.name}) foi unificada na ficha nº "
            f"{ficha.merged_into_id}; você está na ficha mantida (G7).",
        )
        return redirect("ficha_detail", ficha.merged_into_id)
    return render(request, "web/ficha_detail.html", ficha_context(ficha, request.user))


@login_required
def ficha_agendamentos(request, pk):
    """The agendamentos panel alone: polled by HTMX so the countdowns stay current."""
    require_roles(request.user, ATTENDANTS)
    ficha = get_object_or_404(Ficha, pk=pk)
    rows = agendamento_rows(selectors.live_agendamentos(ficha), request.user)
    return render(request, "web/_agendamentos.html", {"ficha": ficha, "agendamento_rows": rows})


def _ficha_action(request, pk, form_class, perform, *, success, title, submit, form_id, event=None):
    """A form on the ficha; `event` names the ficha's flow event it fires, refused up front
    (403/422) when the machine would refuse it."""
    require_roles(request.user, ATTENDANTS)
    ficha = get_object_or_404(Ficha, pk=pk)
    back = reverse("ficha_detail", args=[ficha.pk])
    if event is not None:
        refusal = event_action(ficha, event, request.user)
        if refusal is not None:
            return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        form_class(posted(request)),
        perform=lambda data: perform(ficha, data),
        success=success,
        redirect_to=back,
        title=title,
        submit=submit,
        form_id=form_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_movimentacao(request, pk):
    return _ficha_action(
        request,
        pk,
        forms.MovimentacaoForm,
        lambda ficha, d: movimentacoes.movimentacao_log(ficha, author=request.user, **d),
        success="Movimentação registrada.",
        title="Registrar movimentação",
        submit="Registrar",
        form_id="form-movimentacao",
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_agendamento(request, pk):
    return _ficha_action(
        request,
        pk,
        forms.AgendamentoForm,
        lambda ficha, d: agendamentos.agendamento_open(ficha, owner=request.user, **d),
        success="Agendamento aberto.",
        title="Abrir agendamento",
        submit="Abrir agendamento",
        form_id="form-agendamento",
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_sale(request, pk):
    def perform(ficha, d):
        d["discount"] = d["discount"] or 0
        selling.ficha_sell(ficha, d.pop("product"), request.user, **d)

    return _ficha_action(
        request,
        pk,
        forms.SaleForm,
        perform,
        success="Venda registrada.",
        title="Registrar venda",
        submit="Registrar venda",
        form_id="form-venda",
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose_change(request, pk):
    return _ficha_action(
        request,
        pk,
        forms.SensitiveChangeForm,
        lambda ficha, d: third_party.data_change_propose(ficha, actor=request.user, **d),
        success="Pedido registrado: o titular recebeu um link para confirmar (72 horas).",
        title="Alteração de dado sensível pedida por terceiro",
        submit="Enviar para o titular validar",
        form_id="form-dado-sensivel",
    )


@login_required
@require_http_methods(["GET", "POST"])
def inactivate(request, pk):
    return _ficha_action(
        request,
        pk,
        forms.ReasonForm,
        lambda ficha, d: selling.ficha_inactivate(ficha, actor=request.user, **d),
        success="Cliente inativado. Registre a resposta dele à mensagem quando vier.",
        title="Inativar manualmente",
        submit="Inativar",
        form_id="form-inativar",
        event="inactivate_manually",
    )


@login_required
@require_http_methods(["GET", "POST"])
def inactivation_answer(request, pk):
    return _ficha_action(
        request,
        pk,
        forms.AnswerForm,
        lambda ficha, d: selling.ficha_inactivation_answer(ficha, actor=request.user, **d),
        success="Resposta do cliente registrada: a recontratação fica com você por 15 dias.",
        title="Resposta à inativação",
        submit="Registrar resposta",
        form_id="form-resposta",
        event="record_inactivation_answer",
    )


AGENDAMENTO_ACTIONS = {
    # event: (form, service call, success message)
    "renew": (
        forms.ConfirmForm,
        lambda ag, user, d: agendamentos.agendamento_renew(ag, actor=user),
        "Agendamento renovado por mais 4 dias úteis.",
    ),
    "conclude": (
        forms.ConcludeForm,
        lambda ag, user, d: agendamentos.agendamento_conclude(ag, actor=user, **d),
        "Agendamento concluído.",
    ),
    "extend": (
        forms.ExtendForm,
        lambda ag, user, d: agendamentos.agendamento_extend(ag, manager=user, **d),
        "Prazo estendido pelo gestor.",
    ),
    "validate": (
        forms.ReasonForm,
        lambda ag, user, d: agendamentos.agendamento_validate(ag, manager=user, **d),
        "Agendamento validado pelo gestor.",
    ),
    "reassign": (
        forms.ReassignForm,
        lambda ag, user, d: agendamentos.agendamento_reassign(ag, manager=user, **d),
        "Agendamento passado para outro atendente.",
    ),
    "cancel": (
        forms.ReasonForm,
        lambda ag, user, d: agendamentos.agendamento_cancel(ag, manager=user, **d),
        "Agendamento cancelado.",
    ),
}
AGENDAMENTO_EVENTS = {AgendamentoFlow.actions[e].slug: e for e in AGENDAMENTO_ACTIONS}


@login_required
@require_http_methods(["GET", "POST"])
def agendamento_action(request, pk, action):
    require_roles(request.user, ATTENDANTS)
    event = AGENDAMENTO_EVENTS.get(action)
    if event is None:
        raise Http404("Ação desconhecida.")
    ag = get_object_or_404(Agendamento.objects.select_related("ficha", "product"), pk=pk)
    form_class, perform, success = AGENDAMENTO_ACTIONS[event]
    title = f"{AgendamentoFlow.actions[event].label}: {ag}"
    back = reverse("ficha_detail", args=[ag.ficha_id])
    refusal = event_action(ag, event, request.user)
    if refusal is not None:
        return refused_response(request, refusal, title=title, back_url=back)
    return act(
        request,
        form_class(posted(request), auto_id=f"ag{ag.pk}-%s"),
        perform=lambda d: perform(ag, request.user, d),
        success=success,
        redirect_to=back,
        title=title,
        submit="Confirmar",
        form_id=f"form-ag-{ag.pk}",
    )
