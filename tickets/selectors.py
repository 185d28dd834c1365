"""Reads of the support domain: capped counts (T6/T8), the routine's done
marks (T8), the helpdesk views of the ticket list with their SLA badges (T4, T6, T7) and the
support homes."""

import datetime as dt
import re
from typing import NamedTuple

from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery

from workflows import clock
from workflows.models import with_names
from workflows.raw_reads import RawList, list_sql, sql_params, sql_words

from . import sla
from .models import RoutineCheck, SlaPolicy, Ticket, TicketNote

COUNT_CAP = 999


def capped_counts(counts, values) -> dict[str, int]:
    """Each count's rows, counted up to COUNT_CAP + 1 (shown as "999+") so a huge backlog
    stays cheap to count: one `SELECT COUNT(*) FROM (… LIMIT …)` per count.

    `counts` is a tuple of (name, rows_of) where rows_of(values) is a queryset; `values`
    holds what they look up (a named tuple: ListValues). The counts a page makes on every
    request are written in SQL instead (`capped_sql_counts`)."""
    return {
        name: rows_of(values).order_by().values("pk")[: COUNT_CAP + 1].count()
        for name, rows_of in counts
    }


def capped_sql_counts(counts, values) -> dict[str, int]:
    """The same cap for counts written in SQL, all of them in one query.

    `counts` is a tuple of (name, sql, params_of): `sql` selects the rows to count, with `%s`
    where params_of(values) go.

    For the routine and the SLA queue, which count on every request: the nine counts built
    as querysets cost 40 % of the routine's Python work (each queryset built and compiled),
    and PostgreSQL's plan for a prepared count whose states were parameters read every
    concluded ticket (27 ms where the states written out take 2 ms). Each is held to the
    queryset of the list it counts (tests/test_capped_counts.py)."""
    parts, params = [], []
    for _, sql, params_of in counts:
        parts.append(f"(SELECT COUNT(*) FROM ({sql} LIMIT {COUNT_CAP + 1}) capped)")
        params.extend(sql_params(params_of(values)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip((name for name, *_ in counts), row, strict=True))


def capped_label(n: int) -> str:
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


class Now(NamedTuple):
    now: dt.datetime


def _queue_tickets():
    return with_names(Ticket.objects.all(), "assignee", "ficha").select_related("sla_policy")


# The SLA queue (tickets/sla_queue.py) and the support Início's tickets nearest to breach are
# read on every request of those pages, so they are written in SQL (workflows/raw_reads.py):
# `_queue_tickets()`, ordered as they say, each held to it by a test (tests/test_query_counts.py).
QUEUE_RELATIONS = ("assignee", "ficha", "sla_policy")
WAITING_SQL = f"t.state IN ({sql_words(Ticket.WAITING_FOR_US)})"
NEAREST_BREACH_SQL = list_sql(
    Ticket,
    QUEUE_RELATIONS,
    f"t.assignee_id = %s AND {WAITING_SQL} AND t.next_breach_at IS NOT NULL",
    "t.next_breach_at, t.id",
)


# -- The helpdesk views of the ticket list (T4, T6, T7) ----------------------------------------

# T6 (reading): a ticket is "vencendo o SLA" when its next deadline falls inside the policy's
# warning window — the last (100 − warn_percent) % of its next-update target, the share left
# after the assignee's 80 % warning (tickets.sla_alerts) — and never less than two business
# hours, counted on the company calendar.
DUE_SOON_MINUTES = 120
LIST_PAGE_SIZE = 25


class ListValues(NamedTuple):
    """What the views' filters look up (capped_counts)."""

    now: dt.datetime
    user_id: int
    due_soon: Q


def _active(v):
    return Q(state__in=Ticket.ACTIVE)


# slug -> (pt-BR label, filter of the values); the list's tabs, in order.
LIST_VIEWS = {
    "ativos": ("Em andamento", _active),
    "meus": ("Meus", lambda v: _active(v) & Q(assignee_id=v.user_id)),
    "nao-atribuidos": ("Não atribuídos", lambda v: _active(v) & Q(assignee__isnull=True)),
    "vencendo": ("Vencendo o SLA", lambda v: v.due_soon),
    "vencido": ("SLA vencido", lambda v: Q(next_breach_at__lte=v.now)),
    "aguardando-cliente": (
        "Aguardando o cliente",
        lambda v: Q(state=Ticket.State.WAITING_CLIENT),
    ),
    "github": ("No GitHub", lambda v: _active(v) & Q(github_issue_number__isnull=False)),
    "concluidos": ("Concluídos", lambda v: Q(state=Ticket.State.DONE)),
    "todos": ("Todos", lambda v: Q()),
}
# T4: a merged ticket is the kept one's problem: every view (and its count) leaves it out,
# unless the status filter asks for "Mesclado" or the search names its number.
MERGED = Q(state=Ticket.State.MERGED)
# A ticket's number as support types it: "123", "#123", "[#123]" (as tickets.merge reads it).
TICKET_NUMBER = re.compile(r"\[?#?\s*(\d{1,18})\s*\]?")

_SCORE = F("urgency") * F("impact")
# slug -> (pt-BR label, order); every order ends on the pk, so pages never overlap.
LIST_SORTS = {
    "prazo": ("Prazo do SLA", (F("next_breach_at").asc(nulls_last=True), "-created_at")),
    "prioridade": ("Prioridade", (_SCORE.desc(), F("next_breach_at").asc(nulls_last=True))),
    "responsavel": (
        "Responsável",
        (F("assignee__first_name").asc(nulls_last=True), "assignee__username", "-created_at"),
    ),
    "estado": ("Status", ("state", F("next_breach_at").asc(nulls_last=True))),
    "canal": ("Canal", ("channel", F("next_breach_at").asc(nulls_last=True))),
    "recentes": ("Mais recentes", ("-created_at",)),
}
# T6: priority from urgency × impact (models.priority_for), as a filter on the product.
PRIORITY_SCORES = {"P1": (12, 16), "P2": (6, 11), "P3": (3, 5), "P4": (1, 2)}


def warning_window(policy) -> float:
    """T6: the business minutes before a deadline that count as "vencendo o SLA"."""
    share = policy.next_update_minutes * (100 - policy.warn_percent) / 100
    return max(DUE_SOON_MINUTES, share)


def due_soon_horizons(now: dt.datetime, calendar=None) -> dict[int, dt.datetime]:
    """T6: per SLA policy, the moment up to which a deadline is "vencendo" (one query)."""
    calendar = calendar or sla.calendar_between(now, now)
    return {
        p.pk: sla.add_business_minutes(now, warning_window(p), p, calendar)
        for p in SlaPolicy.objects.all()
    }


def list_values(user, now: dt.datetime | None = None) -> ListValues:
    now = now or clock.now()
    due_soon = Q(pk__in=[])
    for policy_id, horizon in due_soon_horizons(now).items():
        due_soon |= Q(sla_policy_id=policy_id, next_breach_at__lte=horizon)
    return ListValues(now, user.pk, due_soon & Q(next_breach_at__gt=now))


def view_filter(values: ListValues, view: str, state: str = "") -> Q:
    """The tickets of one view: merged ones left out unless `state` (the status filter) is
    "mesclado" (T4)."""
    shown = LIST_VIEWS[view][1](values)
    return shown if state == Ticket.State.MERGED else shown & ~MERGED


def ticket_number(q: str) -> int | None:
    """The ticket number a search is ("123", "#123", "[#123]"), else None."""
    found = TICKET_NUMBER.fullmatch(q.strip())
    return int(found[1]) if found else None


def view_counts(values: ListValues) -> dict[str, int]:
    """Each view's tickets, capped (one query for all of them)."""
    counts = tuple(
        (slug, lambda v, slug=slug: Ticket.objects.filter(view_filter(v, slug)))
        for slug in LIST_VIEWS
    )
    return capped_counts(counts, values)


def list_tickets(values: ListValues, *, view="ativos", filters=None, sort="prazo", q=""):
    """The tickets of one view, filtered and sorted (a queryset; the page slices it).

    `filters`: priority (P1…P4), assignee (a user's pk or "ninguem"), state, channel,
    stale (T4/T8: untouched since the last business day). `q`: subject, requester or ficha
    name; a ticket number (`ticket_number`) also finds that ticket whatever its view, a
    merged one too (its page points to the kept ticket, T4)."""
    from . import desk

    filters = filters or {}
    shown = view_filter(values, view, filters.get("state", ""))
    if q:
        shown &= Q(subject__icontains=q) | Q(requester__icontains=q) | Q(ficha__name__icontains=q)
        number = ticket_number(q)
        if number is not None:
            shown |= Q(pk=number)
    tickets = _queue_tickets().filter(shown)
    if filters.get("priority") in PRIORITY_SCORES:
        low, high = PRIORITY_SCORES[filters["priority"]]
        tickets = tickets.alias(score=_SCORE).filter(score__gte=low, score__lte=high)
    assignee = filters.get("assignee")
    if assignee == "ninguem":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=assignee)
    if filters.get("state"):
        tickets = tickets.filter(state=filters["state"])
    if filters.get("channel"):
        tickets = tickets.filter(channel=filters["channel"])
    if filters.get("stale"):
        tickets = tickets.filter(pk__in=desk.stale_tickets().values("pk"))
    return tickets.order_by(*LIST_SORTS[sort][1], "-pk")


def count_of(tickets) -> int:
    """How many tickets a filtered list has, capped (one query)."""
    return capped_counts((("n", lambda v: tickets),), None)["n"]


def business_amount(minutes: float) -> str:
    """pt-BR business time: "1 h 20 min", "2 h", "35 min"."""
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


def sla_badge(now, due, policy, calendar=None) -> str:
    """T6: the time left (or past) until `due`, in business time: "vence em 1 h 20 min úteis",
    "vencido há 35 min úteis"."""
    minutes = sla.business_minutes_between(now, due, policy, calendar)
    if due <= now:
        return f"vencido há {business_amount(-minutes)} úteis" if minutes <= -1 else "vencido"
    return f"vence em {business_amount(minutes)} úteis" if minutes >= 1 else "vence agora"


def ticket_rows(tickets, now: dt.datetime | None = None) -> list[dict]:
    """T6: each ticket with its next deadline and its SLA badge (one calendar for them all,
    one query for the policies' windows: nothing per row)."""
    tickets = list(tickets)
    now = now or clock.now()
    moments = [now] + [m for t in tickets for m in (t.next_breach_at, t.resolution_due_at) if m]
    calendar = sla.calendar_between(min(moments), max(moments))
    horizons = due_soon_horizons(now, calendar) if tickets else {}
    rows = []
    for t in tickets:
        due, what = t.next_breach_at, "retorno"
        if due is None or due != t.response_due_at:
            what = "resolução"
        if due is None and t.state == Ticket.State.WAITING_CLIENT:
            due = t.resolution_due_at  # T6: the resolution clock runs while the client answers
        if due is None and t.state == Ticket.State.MERGED:
            # T4: where its thread is now
            badge, tone = f"mesclado em #{t.merged_into_id}" if t.merged_into_id else "mesclado", ""
        elif due is None:
            badge, tone = ("concluído" if t.state == Ticket.State.DONE else "sem prazo"), ""
        else:
            badge = sla_badge(now, due, t.sla_policy, calendar)
            tone = "danger" if due <= now else "warn" if due <= horizons[t.sla_policy_id] else "ok"
        rows.append({"ticket": t, "due": due, "what": what, "badge": badge, "tone": tone})
    return rows


# -- The support homes -----------------------------------------------------------------------

HOME_RISK_ROWS = 5


def support_home(user) -> dict:
    """Support's Início: the views' counts and their own open tickets nearest to breach."""
    values = list_values(user)
    mine = RawList(Ticket, NEAREST_BREACH_SQL, [user.pk], QUEUE_RELATIONS)[:HOME_RISK_ROWS]
    counts = view_counts(values)
    return {
        "views": [(slug, label, counts[slug]) for slug, (label, _) in LIST_VIEWS.items()],
        "risk": ticket_rows(mine, values.now),
    }


def github_tickets_of(user, limit: int = 50):
    """T7: the support dev's active GitHub-linked tickets, each with its last GitHub comment
    (text, author, when; annotated: one query)."""
    last = TicketNote.objects.filter(
        ticket=OuterRef("pk"), kind=TicketNote.Kind.GITHUB_COMMENT, deleted_at__isnull=True
    ).order_by("-at", "-pk")
    return (
        _queue_tickets()
        .filter(assignee=user, state__in=Ticket.ACTIVE, github_issue_number__isnull=False)
        .annotate(
            last_comment=Subquery(last.values("text")[:1]),
            last_comment_by=Subquery(last.values("external_author")[:1]),
            last_comment_at=Subquery(last.values("at")[:1]),
        )
        .order_by(F("next_breach_at").asc(nulls_last=True), "-pk")[:limit]
    )


def open_tickets_of(ficha, limit: int = 10):
    """T2: the client's open tickets, shown before another one is opened."""
    tickets = with_names(Ticket.objects.filter(ficha=ficha, state__in=Ticket.ACTIVE), "assignee")
    return tickets.order_by("-created_at", "-pk")[:limit]


ROUTINE_CHECKS_SQL = "SELECT * FROM tickets_routinecheck WHERE user_id = %s AND day = %s"


def routine_checks(user, day: dt.date) -> list[RoutineCheck]:
    """T8: the items `user` marked done on `day` (written in SQL: the routine reads it on
    every request, see workflows/raw_reads.py)."""
    return list(RoutineCheck.objects.raw(ROUTINE_CHECKS_SQL, [user.pk, day]))


MAX_QUERY = 200  # characters of a search box kept


def search_text(request) -> str:
    """?q=: what was typed, without NUL bytes (PostgreSQL refuses them) and at most 200
    characters."""
    return (request.GET.get("q") or "").replace("\x00", "").strip()[:MAX_QUERY]
