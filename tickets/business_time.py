"""T6, issue 19: how long a client waited in business time, stamped on the ticket when its
first response and its conclusion happen, so the Indicadores average them per SLA policy in
SQL. The one calculation is the SLA clock's own (`sla.business_minutes_between`: the company
calendar and the policy's working hours)."""

import datetime as dt
from collections import defaultdict

from workflows.businessdays import BusinessCalendar

from . import sla

CHUNK = 2000


def minutes_since_opening(ticket, moment, calendar: BusinessCalendar | None = None):
    """Whole business minutes from the ticket's opening to `moment` (None without it)."""
    if moment is None:
        return None
    return max(
        round(sla.business_minutes_between(ticket.created_at, moment, ticket.sla_policy, calendar)),
        0,
    )


def stamp(ticket, calendar: BusinessCalendar | None = None, *, concluded=False) -> None:
    """Keep `response_business_minutes` and `resolution_business_minutes` in step with
    `first_response_at` and `resolved_at`: computed once when the moment appears, cleared
    with it (a reopen clears the resolution). `concluded`: the ticket was concluded just now,
    so its resolution is stamped anew (a reopening to development keeps the old moment)."""
    if concluded:
        ticket.resolution_business_minutes = None
    for moment, field in (
        (ticket.first_response_at, "response_business_minutes"),
        (ticket.resolved_at, "resolution_business_minutes"),
    ):
        if moment is None:
            setattr(ticket, field, None)
        elif getattr(ticket, field) is None:
            setattr(ticket, field, minutes_since_opening(ticket, moment, calendar))


def fill(tickets) -> int:
    """Stamp many tickets (the migration of existing rows), in chunks: one calendar and one
    UPDATE per distinct pair of values per chunk; `tickets` is a queryset with the moments
    set. Returns the count."""
    model = tickets.model
    policies = {p.pk: p for p in model._meta.get_field("sla_policy").related_model.objects.all()}
    moments = ("pk", "sla_policy_id", "created_at", "first_response_at", "resolved_at")
    done = 0
    chunk = []
    for ticket in tickets.only(*moments).order_by("pk").iterator(CHUNK):
        ticket.sla_policy = policies[ticket.sla_policy_id]
        chunk.append(ticket)
        if len(chunk) == CHUNK:
            done += _fill_chunk(model, chunk)
            chunk = []
    if chunk:
        done += _fill_chunk(model, chunk)
    return done


def _fill_chunk(model, chunk) -> int:
    moments = [m for t in chunk for m in (t.created_at, t.first_response_at, t.resolved_at) if m]
    one_day = dt.timedelta(days=1)
    calendar = BusinessCalendar(min(moments).date() - one_day, max(moments).date() + one_day)
    for ticket in chunk:
        ticket.response_business_minutes = ticket.resolution_business_minutes = None
        stamp(ticket, calendar)
    # One UPDATE per distinct pair of values: bulk_update's CASE per row costs milliseconds a
    # row to build, and tickets answered and concluded alike share their pair.
    by_values = defaultdict(list)
    for ticket in chunk:
        values = (ticket.response_business_minutes, ticket.resolution_business_minutes)
        by_values[values].append(ticket.pk)
    for (response, resolution), pks in by_values.items():
        model.objects.filter(pk__in=pks).update(
            response_business_minutes=response, resolution_business_minutes=resolution
        )
    return len(chunk)
