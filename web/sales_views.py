"""Pages of the sales rulebook: the ficha, agendamento actions, the manager console.

Every action goes through `act()`: the form checks types, the service applies the rules; a
refusal re-renders the form with the typed data and the rule IDs (422), success flashes a
message and reloads the ficha.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workflows import (
    agendamentos,
    availability,
    clock,
    movimentacoes,
    overrides,
    ownership,
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
from workflows.businessdays import BusinessCalendar, add_business_days
from workflows.engine import actions_for
from workflows.models import (
    Agendamento,
    AgentProfile,
    Ficha,
    Sale,
    Triage,
    with_names,
)
from workflows.roles import ATTENDANTS, MANAGER, MANAGERS, has_role
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


def agendamento_rows(live, user):
    """Each live agendamento with its countdown and the actions the machine lets this user
    take (`actions_for`)."""
    today = clock.today()
    live = list(live)
    if not live:
        return []  # no business-day calendar to read
    last_due = max(ag.due_date for ag in live)
    calendar = BusinessCalendar(today, max(today, last_due))
    rows = []
    for ag in live:
        rows.append(
            {
                "ag": ag,
                "deadline": deadline_label(ag.due_date, today, calendar),
                "overdue": ag.due_date < today,
                "reserves": agendamentos.reserves_sale(ag),
                "actions": actions_for(ag, user).allowed,
                "history_url": history_url(ag),
            }
        )
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


def ficha_context(ficha, user):
    boletos = list(selectors.ficha_boletos(ficha))
    open_boletos = [b for b in boletos if b.is_open]
    products = selectors.active_products()
    live = selectors.live_agendamentos(ficha)
    sale_live = agendamentos.live_sale_agendamentos(ficha, live)
    present = selectors.sections_present(FICHA_SECTIONS, ficha)
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
        "is_manager": has_role(user, MANAGER),
        "history_url": history_url(ficha),
        "answer_form": forms.AnswerForm(),
        "actions": actions_for(ficha, user),
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
        lambda ficha, d: movimentacoes.log_movimentacao(ficha, author=request.user, **d),
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
        lambda ficha, d: agendamentos.open_agendamento(ficha, owner=request.user, **d),
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
        selling.sell(ficha, d.pop("product"), request.user, **d)

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
        lambda ficha, d: third_party.propose_sensitive_change(ficha, actor=request.user, **d),
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
        lambda ficha, d: selling.inactivate_manually(ficha, actor=request.user, **d),
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
        lambda ficha, d: selling.record_inactivation_answer(ficha, actor=request.user, **d),
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
        lambda ag, user, d: agendamentos.renew_agendamento(ag, actor=user),
        "Agendamento renovado por mais 4 dias úteis.",
    ),
    "conclude": (
        forms.ConcludeForm,
        lambda ag, user, d: agendamentos.conclude_agendamento(ag, actor=user, **d),
        "Agendamento concluído.",
    ),
    "extend": (
        forms.ExtendForm,
        lambda ag, user, d: agendamentos.extend_agendamento(ag, manager=user, **d),
        "Prazo estendido pelo gestor.",
    ),
    "validate": (
        forms.ReasonForm,
        lambda ag, user, d: agendamentos.validate_agendamento(ag, manager=user, **d),
        "Agendamento validado pelo gestor.",
    ),
    "reassign": (
        forms.ReassignForm,
        lambda ag, user, d: agendamentos.reassign_agendamento(ag, manager=user, **d),
        "Agendamento passado para outro atendente.",
    ),
    "cancel": (
        forms.ReasonForm,
        lambda ag, user, d: agendamentos.cancel_agendamento(ag, manager=user, **d),
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


# --- Agent home and manager console ------------------------------------------------------


HOME_LIMIT = 50


def my_agendamentos(user):
    """The agent's live agendamentos, earliest deadline first (at most HOME_LIMIT shown)."""
    today = clock.today()
    live = selectors.live_agendamentos_owned_by(user, limit=HOME_LIMIT)
    rows = agendamento_rows(live, user)
    next_day = add_business_days(today, 1)
    total = len(rows)
    if total == HOME_LIMIT:
        total = selectors.live_agendamentos_owned_by_count(user)
    return {
        "live_shown": len(rows),
        "live_hidden": total - len(rows),
        "due_today": [r for r in rows if r["ag"].due_date <= today],
        "expiring": [r for r in rows if today < r["ag"].due_date <= next_day],
        "later": [r for r in rows if r["ag"].due_date > next_day],
        "expired": selectors.expired_agendamentos_owned_by(user, today - dt.timedelta(days=7)),
    }


# The console is a dashboard: each list shows its first rows and links to all of them.
CONSOLE_LIMIT = 10
LIST_PAGE_SIZE = 50


EXPIRED_SHOWN_DAYS = 30

# slug in the URL: (title, the partial that renders its rows, what an empty list says, the
# queryset of its rows), in display order
CONSOLE_LISTS = {
    "aguardando": (
        "Clientes aguardando vendedor",
        "web/console/_waiting.html",
        "Nenhum cliente esperando por um vendedor.",
        selectors.waiting_for_seller,
    ),
    "comissoes": (
        "Comissões a definir",
        "web/console/_to_settle.html",
        "Nenhuma comissão esperando definição.",
        selectors.commissions_to_settle,
    ),
    "expirados": (
        f"Expirados sem conclusão ({EXPIRED_SHOWN_DAYS} dias)",
        "web/console/_expired.html",
        "Nenhum agendamento expirou sem conclusão.",
        selectors.expired_since,
    ),
    "excecoes": (
        "Exceções recentes",
        "web/console/_overrides.html",
        "Nenhuma exceção registrada ainda.",
        selectors.recent_overrides,
    ),
}


def console_list_values(slug, today) -> tuple:
    """The lookup values of a console list's queryset (CONSOLE_LISTS)."""
    return (today - dt.timedelta(days=EXPIRED_SHOWN_DAYS),) if slug == "expirados" else ()


@login_required
def manager_console(request):
    require_roles(request.user, MANAGERS)
    today = clock.today()
    day_start, day_end = clock.day_span(today)
    far = selectors.awaiting_validation(limit=LIST_PAGE_SIZE)
    far = [ag for ag in far if not agendamentos.reserves_sale(ag)]
    far, far_more = far[:CONSOLE_LIMIT], len(far) > CONSOLE_LIMIT  # validating shows the next
    lists = {}
    for slug, (title, template, empty, rows_of) in CONSOLE_LISTS.items():
        # the first rows and one more, which says the list goes on
        rows = list(rows_of(*console_list_values(slug, today))[: CONSOLE_LIMIT + 1])
        lists[slug] = {
            "slug": slug,
            "title": title,
            "template": template,
            "empty": empty,
            "rows": rows[:CONSOLE_LIMIT],
            "more": len(rows) > CONSOLE_LIMIT,
        }
    team = [
        (u, AgentProfile.Status(availability.availability(u, today)).label)
        for u in selectors.attendants()
    ]
    context = {
        "lists": lists,
        "far": far,
        "far_more": far_more,
        "team": team,
        "sales_today": Sale.objects.filter(at__gte=day_start, at__lt=day_end).aggregate(
            total=Sum("total")
        )["total"],
    }
    return render(request, "web/manager_console.html", context)


@login_required
def console_list(request, slug):
    """All the rows of one console list, LIST_PAGE_SIZE a page ("ver todos")."""
    require_roles(request.user, MANAGERS)
    if slug not in CONSOLE_LISTS:
        raise Http404("Lista desconhecida.")
    title, template, empty, rows_of = CONSOLE_LISTS[slug]
    queryset = rows_of(*console_list_values(slug, clock.today()))
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {"title": title, "template": template, "empty": empty, "page": page}
    return render(request, "web/console_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def settle_commission(request, pk):
    """M1: the manager names who gets a flagged commission. On GET the console fetches the
    form when the manager opens it (one form per sale would weigh on the console)."""
    require_roles(request.user, MANAGERS)
    sale = get_object_or_404(Sale, pk=pk)
    form = forms.SettleForm(posted(request), prefix=f"s{sale.pk}")
    return act(
        request,
        form,
        perform=lambda d: selling.settle_commission(sale, manager=request.user, **d),
        success="Comissão definida.",
        redirect_to=reverse("manager_console"),
        title=f"Comissão: {sale}",
        submit="Definir comissão",
        form_id=f"form-comissao-{sale.pk}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_availability(request, user_id):
    """An attendant sets their own availability; a manager sets anyone's (S8, S9). On GET the
    console fetches a team member's (prefixed) form when the manager opens it."""
    target = get_object_or_404(get_user_model(), pk=user_id)
    if target != request.user:
        require_roles(request.user, MANAGERS)
    prefix = None if target == request.user and "status" in request.POST else f"u{target.pk}"
    form = forms.AvailabilityForm(posted(request), prefix=prefix)
    back = reverse("manager_console" if prefix else "home")  # or a safe `next` (act)
    return act(
        request,
        form,
        perform=lambda d: availability.set_availability(target, **d),
        success="Disponibilidade atualizada.",
        redirect_to=back,
        title="Disponibilidade",
        submit="Salvar",
        form_id=f"form-disponibilidade-{target.pk}",
    )
