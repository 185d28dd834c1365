"""T6: the clients waiting for our return — how many, how many past the SLA, and the SLA queue
(nearest breach first), a page at a time. Read on every request of the queue, so written in
SQL (workflows/raw_reads.py), held to the querysets they stand for by tests
(tests/test_query_counts.py, tests/test_capped_counts.py)."""

from workflows import clock
from workflows.raw_reads import RawList, list_sql

from . import sla
from .models import Ticket
from .selectors import QUEUE_RELATIONS, WAITING_SQL, Now, capped_sql_counts

QUEUE_PAGE_SIZE = 25  # a page of the SLA queue

# T6/T8: the clients waiting for our return, and those past the SLA (to count).
WAITING_COUNTS = (
    ("waiting", lambda v: Ticket.objects.filter(state__in=Ticket.WAITING_FOR_US)),
    ("breached", lambda v: Ticket.objects.filter(next_breach_at__lte=v.now)),
)
WAITING_COUNTS_SQL = (
    (
        "waiting",
        f"SELECT 1 FROM tickets_ticket t WHERE {WAITING_SQL}",
        lambda v: [],
    ),
    (
        "breached",
        "SELECT 1 FROM tickets_ticket WHERE next_breach_at <= %s",
        lambda v: [v.now],
    ),
)


def waiting_counts() -> tuple[int, int]:
    """T6/T8: how many clients wait for our return, and how many of them are past the SLA
    (each capped, see capped_sql_counts)."""
    n = capped_sql_counts(WAITING_COUNTS_SQL, Now(clock.now()))
    return n["waiting"], n["breached"]


_BY_PRIORITY_SQL = "t.urgency * t.impact DESC, t.id"
# Only tickets waiting for us have a next breach (Ticket.save): walk its index in order.
DATED_QUEUE_SQL = list_sql(
    Ticket,
    QUEUE_RELATIONS,
    "t.next_breach_at IS NOT NULL",
    f"t.next_breach_at, {_BY_PRIORITY_SQL}",
)
UNDATED_QUEUE_SQL = list_sql(
    Ticket, QUEUE_RELATIONS, f"{WAITING_SQL} AND t.next_breach_at IS NULL", _BY_PRIORITY_SQL
)


def _dated_queue(*, offset: int, limit: int) -> list[Ticket]:
    return RawList(Ticket, DATED_QUEUE_SQL, (), QUEUE_RELATIONS)[offset : offset + limit]


def _undated_queue(*, offset: int, limit: int) -> list[Ticket]:
    return RawList(Ticket, UNDATED_QUEUE_SQL, (), QUEUE_RELATIONS)[offset : offset + limit]


def _dated_count() -> int:
    return RawList(Ticket, DATED_QUEUE_SQL).count()


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
