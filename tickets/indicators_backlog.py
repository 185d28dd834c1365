"""Medição of the support desk (issue 19, T6): the backlog, the tickets open at the end of each
local day of the period.

Open at the end of a day = opened before the next midnight (São Paulo) and not concluded by
then; a merged ticket never counts (its problem is the kept ticket's). Reopenings are exact: a
ticket concluded, reopened and concluded again is open only outside its concluded spells, read
from the audited transitions into and out of "concluído" (each spell a reopening ended; the
current one is `resolved_at` of a ticket now concluded, so a ticket sent back to development
counts open even if it keeps its old `resolved_at`). A concluded spell with no audited
conclusion (rows written without the engine) is not subtracted.

Cost: four bounded queries whatever the number of tickets (two counts before the period,
the openings and conclusions per day, the reopenings with their previous conclusion); three
when the rollup kept the day before the period (`opening`).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from workflows import clock
from workflows import indicators as ind
from workflows.models import AuditEntry

from .models import Ticket

DONE = Ticket.State.DONE


def _per_day(rows, field: str) -> dict:
    day = TruncDate(field, tzinfo=timezone.get_current_timezone())
    grouped = rows.annotate(day=day).order_by().values("day").annotate(n=Count("pk"))
    return {row["day"]: row["n"] for row in grouped}


def _earlier_spells(tickets, start, end) -> list[tuple]:
    """[(concluded at, reopened at)] of the concluded spells that a reopening ended, for the
    spells that reach into [start, end)."""
    history = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Ticket))
    conclusion = (
        history.filter(object_id=OuterRef("object_id"), to_state=DONE, at__lte=OuterRef("at"))
        .exclude(from_state=DONE)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    keys = tickets.annotate(key=Cast("pk", CharField())).values("key")
    reopenings = (
        history.filter(from_state=DONE, at__gte=start, object_id__in=keys)
        .exclude(to_state=DONE)
        .annotate(concluded_at=Subquery(conclusion))
        .filter(concluded_at__lt=end)
        .values_list("concluded_at", "at")
    )
    return list(reopenings)


def backlog_rows(scope, tickets=None, opening: int | None = None) -> list[dict]:
    """Per local day of the period: {day, count} of the tickets open at its end, within the
    scope's member (the ticket's assignee) and channel; `tickets` narrows further. `opening`:
    the count at the end of the day before the period, when the rollup kept it (the two
    counts over the whole history before the period are then not needed)."""
    from .indicators import TICKETS_OPENED  # the scope's filters, declared once (it imports us)

    tickets = TICKETS_OPENED.narrow(tickets if tickets is not None else Ticket.objects.all(), scope)
    # A merged ticket was the same problem as the one kept (T4): only the kept one counts.
    tickets = tickets.exclude(state=Ticket.State.MERGED)
    period = scope.period
    start, end = period.span()
    opened = _per_day(tickets.filter(created_at__gte=start, created_at__lt=end), "created_at")
    done = tickets.filter(state=DONE, resolved_at__gte=start, resolved_at__lt=end)
    concluded = _per_day(done, "resolved_at")
    spells = _earlier_spells(tickets, start, end)
    if opening is None:
        before = tickets.aggregate(
            opened=Count("pk", filter=Q(created_at__lt=start)),
            concluded=Count("pk", filter=Q(state=DONE, resolved_at__lt=start)),
        )
        still_open = before["opened"] - before["concluded"]
    else:
        # Open at the start = the kept count plus those in a concluded spell at that moment
        # (they are counted open below and subtracted per day).
        still_open = opening + sum(1 for c, r in spells if c < start <= r)
    rows = []
    for day in period.dates():
        still_open += opened.get(day, 0) - concluded.get(day, 0)
        edge = clock.day_span(day)[1]
        closed = sum(
            1 for concluded_at, reopened_at in spells if concluded_at < edge <= reopened_at
        )
        rows.append({"day": day, "count": still_open - closed})
    return rows


BACKLOG = ind.Series(
    "chamados-em-aberto-por-dia",
    "Chamados em aberto no fim de cada dia",
    daily=backlog_rows,
    count_label="Em aberto",
    unit="chamado",
    rolls=True,
    note=(
        "Aberto até a meia-noite e ainda não concluído; reaberturas contam exatamente (o "
        "chamado sai do acervo em cada conclusão e volta em cada reabertura); chamados "
        "mesclados não contam."
    ),
)
