"""Reads of the support domain: the SLA queue (T6), capped counts (T6/T8), the routine's done
marks (T8)."""

import datetime as dt
from typing import NamedTuple

from django.db import connection
from django.db.models import F

from workflows import clock
from workflows.models import with_names

from . import sla
from .models import RoutineCheck, Ticket

QUEUE_PAGE_SIZE = 25  # a page of the SLA queue (T6)

COUNT_CAP = 999


def capped_counts(counts, values) -> dict[str, int]:
    """Each count's rows, counted up to COUNT_CAP + 1 (shown as "999+") so a huge backlog
    stays cheap to count; all of them in one query (a page of counts made one round trip
    each).

    `counts` is a tuple of (name, rows_of) where rows_of(values) is a queryset; `values`
    holds what they look up (a named tuple: Now, routine.RoutineValues)."""
    parts, params = [], []
    for _, rows_of in counts:
        capped = rows_of(values).order_by().values("pk")[: COUNT_CAP + 1]
        sql, capped_params = capped.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped)")
        params.extend(capped_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    return dict(zip((name for name, _ in counts), row, strict=True))


def capped_label(n: int) -> str:
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


class Now(NamedTuple):
    now: dt.datetime


# T6/T8: the clients waiting for our return, and those past the SLA (to count).
WAITING_COUNTS = (
    ("waiting", lambda v: Ticket.objects.filter(state__in=Ticket.WAITING_FOR_US)),
    ("breached", lambda v: Ticket.objects.filter(next_breach_at__lte=v.now)),
)


def waiting_counts() -> tuple[int, int]:
    """T6/T8: how many clients wait for our return, and how many of them are past the SLA
    (each capped, see capped_counts)."""
    n = capped_counts(WAITING_COUNTS, Now(clock.now()))
    return n["waiting"], n["breached"]


def _queue_tickets():
    return with_names(Ticket.objects.all(), "assignee", "ficha").select_related("sla_policy")


_BY_PRIORITY = (F("urgency") * F("impact")).desc()


def _dated_queue(*, offset: int, limit: int):
    # Only tickets waiting for us have a next breach (Ticket.save): walk its index in order.
    dated = _queue_tickets().filter(next_breach_at__isnull=False)
    return dated.order_by("next_breach_at", _BY_PRIORITY, "pk")[offset : offset + limit]


def _undated_queue(*, offset: int, limit: int):
    undated = _queue_tickets().filter(state__in=Ticket.WAITING_FOR_US, next_breach_at__isnull=True)
    return undated.order_by(_BY_PRIORITY, "pk")[offset : offset + limit]


def _dated_count() -> int:
    return Ticket.objects.filter(next_breach_at__isnull=False).count()


def waiting_queue(page: int = 1, size: int | None = None) -> tuple[list[dict], bool]:
    """T6: clients waiting for a return from us, the nearest breach first, then priority;
    tickets without a deadline come last. The rows of page `page` (of `size`,
    QUEUE_PAGE_SIZE), and whether more come after it."""
    size = size or QUEUE_PAGE_SIZE
    start, wanted = (page - 1) * size, size + 1  # one row more says the queue goes on
    tickets = list(_dated_queue(offset=start, limit=wanted))
    if len(tickets) < wanted:
        # the undated part starts where the dated one ended (counted only on a page past it)
        dated = start + len(tickets) if tickets or not start else _dated_count()
        tickets += _undated_queue(offset=max(start - dated, 0), limit=wanted - len(tickets))
    more, tickets = len(tickets) > size, tickets[:size]
    now = clock.now()
    moments = [now] + [
        m
        for t in tickets
        for m in (t.response_since, t.resolution_since, t.created_at, t.next_breach_at)
        if m
    ]
    calendar = sla.calendar_between(min(moments), max(moments))
    rows = []
    for t in tickets:
        due = t.next_breach_at
        on_response = due is not None and due == t.response_due_at
        since = (t.response_since if on_response else t.resolution_since) or t.created_at
        rows.append(
            {
                "ticket": t,
                "due": due,
                "what": "retorno" if on_response else "resolução",
                "remaining": sla.describe_remaining(now, due, t.sla_policy, calendar),
                "breached": due is not None and due <= now,
                "warned": due is not None
                and (due <= now or now >= sla.warning_point(since, due, t.sla_policy, calendar)),
            }
        )
    return rows, more


def routine_checks(user, day: dt.date):
    """T8: the items `user` marked done on `day`."""
    return RoutineCheck.objects.filter(user=user, day=day)


MAX_QUERY = 200  # characters of a search box kept


def search_text(request) -> str:
    """?q=: what was typed, without NUL bytes (PostgreSQL refuses them) and at most 200
    characters."""
    return (request.GET.get("q") or "").replace("\x00", "").strip()[:MAX_QUERY]
