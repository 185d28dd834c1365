"""Helpers shared by the support tests (tests/test_tickets_*.py)."""

import datetime as dt

from model_bakery import baker

from tests.sales_fixtures import make_ficha
from tickets import desk
from tickets.models import Ticket


def new_ticket(actor, **fields) -> Ticket:
    data = {
        "channel": Ticket.Channel.EMAIL,
        "subject": "Intimações não chegam",
        "description": "Cliente diz que as intimações de SP pararam de chegar desde ontem.",
        "requester": "Dra. Marina Lopes",
        "requester_email": "marina@example.com",
    }
    data.update(fields)
    return desk.ticket_create(actor=actor, **data)


def make_waiting_tickets(n, policy, clock):
    """n open tickets of `policy` whose first answers fall due from 4 hours ago on."""
    for i in range(n):
        baker.make(
            Ticket,
            ficha=make_ficha(),
            sla_policy=policy,
            state=Ticket.State.OPEN,
            response_due_at=clock.now() + dt.timedelta(hours=i % 9 - 4),
            resolution_due_at=clock.now() + dt.timedelta(days=2),
            response_since=clock.now() - dt.timedelta(hours=5),
        )
