"""The agent's home lists and the manager's console (S2, S8, S9, M1): what waits for
whom, commissions to settle, agendamentos to validate, the team's availability."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from workflows import (
    agendamentos,
    availability,
    clock,
    selectors,
    selling,
    timers,
)
from workflows.action_views import (
    act,
    go,
    posted,
    require_roles,
)
from workflows.businessdays import BusinessCalendar, add_business_days
from workflows.models import (
    AgentProfile,
    Sale,
    Timer,
)
from workflows.refusals import TransitionRefused
from workflows.roles import MANAGERS

from . import forms
from .sales_views import agendamento_rows

HOME_LIMIT = 50


def my_agendamentos(user):
    """The agent's live agendamentos, earliest deadline first (at most HOME_LIMIT shown)."""
    today = clock.today()
    rows, next_day = [], None
    live = list(selectors.live_agendamentos_owned_by(user, limit=HOME_LIMIT))
    if live:  # one read of the company calendar: the countdowns and the next business day
        last_day = max(today + NEXT_DAY_SPAN, *(ag.due_date for ag in live))
        calendar = BusinessCalendar(today, last_day)
        rows = agendamento_rows(live, user, actions=False, calendar=calendar)
        next_day = add_business_days(today, 1, calendar)
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


# The calendar the home reads covers at least the next business day.
NEXT_DAY_SPAN = dt.timedelta(days=32)


# The console is a dashboard: each list shows its first rows and links to all of them.
CONSOLE_LIMIT = 10
LIST_PAGE_SIZE = 50


EXPIRED_SHOWN_DAYS = 30
FAILED_TIMERS = "prazos"  # the list of timers that failed, where the manager retries them

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
    FAILED_TIMERS: (
        "Prazos automáticos que falharam",
        "web/console/_failed_timers.html",
        "Nenhum prazo automático falhou.",
        timers.failed,
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
        for u in selectors.team_with_availability()
    ]
    context = {
        "lists": lists,
        "far": far,
        "far_more": far_more,
        "team": team,
        "sales_today": selectors.sales_total_between(day_start, day_end),
    }
    return render(request, "web/manager_console.html", context)


@login_required
def console_list(request, slug):
    """All the rows of one console list, LIST_PAGE_SIZE a page ("ver todos"). A POST to the
    failed timers' list tries one of them again (`prazo`: its id)."""
    require_roles(request.user, MANAGERS)
    if slug not in CONSOLE_LISTS:
        raise Http404("Lista desconhecida.")
    if request.method == "POST":
        if slug != FAILED_TIMERS:
            return HttpResponseNotAllowed(["GET"])
        return _retry_timer(request)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _list_page(request, slug)


def _list_page(request, slug, status=200):
    title, template, empty, rows_of = CONSOLE_LISTS[slug]
    queryset = rows_of(*console_list_values(slug, clock.today()))
    page = Paginator(queryset, LIST_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {"title": title, "template": template, "empty": empty, "page": page}
    return render(request, "web/console_list.html", context, status=status)


RETRY_MESSAGES = {
    Timer.Outcome.FIRED: "Nova tentativa feita: o prazo disparou.",
    Timer.Outcome.STALE: "O registro mudou desde que o prazo foi armado: nada a fazer.",
    Timer.Outcome.REFUSED: "A regra recusou o prazo agora: nada mudou no registro.",
}


def _retry_timer(request):
    """The manager's "Tentar de novo" on a failed timer: fires it now, once."""
    raw = request.POST.get("prazo", "")
    if not raw.isdigit() or len(raw) > 18:
        messages.error(request, "Prazo inválido: escolha um prazo da lista.")
        return _list_page(request, FAILED_TIMERS, status=400)
    try:
        timer = timers.timer_retry(int(raw), actor=request.user)
    except TransitionRefused as refused:
        messages.error(request, refused.message)
        return _list_page(request, FAILED_TIMERS, status=refused.status_code)
    if timer.outcome == Timer.Outcome.FAILED:
        messages.error(request, f"A nova tentativa falhou: {timer.problem}")
        return go(request, reverse("console_list", args=[FAILED_TIMERS]))
    text = RETRY_MESSAGES.get(timer.outcome, "Nova tentativa feita.")
    return go(request, reverse("console_list", args=[FAILED_TIMERS]), text)


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
        perform=lambda d: selling.sale_settle_commission(sale, manager=request.user, **d),
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
