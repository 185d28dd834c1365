"""Helpers shared by the support tests (tests/test_tickets_*.py)."""

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
