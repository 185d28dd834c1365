"""T1: whom the support mailbox trusts, and linking a "possível resposta" to its ticket.

A message may touch a ticket (note, attachments, reopen, SLA) only when its sender is that
ticket's client: the ticket's contact e-mail or the e-mail on its ficha. A `[#N]` tag or an
In-Reply-To from anyone else opens a new ticket marked `suspected_reply_to` = N instead;
support links it with one click (`ticket_link_reply`).
"""

import logging

from django.db import transaction

from workflows.engine import require
from workflows.refusals import TransitionRefused

from . import desk
from .models import Ticket, TicketNote

log = logging.getLogger(__name__)


def trusted_senders(ticket: Ticket) -> set[str]:
    """The addresses (lower-cased) that speak for the ticket's client."""
    addresses = {ticket.requester_email}
    if ticket.ficha_id:
        addresses.add(ticket.ficha.email)
    return {a.strip().lower() for a in addresses if a and a.strip()}


def sender_trusted(ticket: Ticket, sender: str) -> bool:
    return bool(sender) and sender.strip().lower() in trusted_senders(ticket)


def client_answered(ticket: Ticket, *, actor=None, reason: str = "") -> None:
    """The client wrote: a waiting ticket goes back to analysis, a concluded one reopens."""
    event = {
        Ticket.State.WAITING_CLIENT: ("client_replied", "Cliente respondeu por e-mail."),
        Ticket.State.DONE: ("reopen", "Cliente respondeu por e-mail ao chamado concluído."),
    }.get(ticket.state)
    if event:
        try:
            desk.ticket_act(ticket, event[0], actor=actor, reason=reason or event[1])
        except TransitionRefused as refused:  # keep the e-mail even if the flow says no
            log.warning("ticket %s not moved by e-mail: %s", ticket.pk, refused)


def ticket_link_reply(ticket: Ticket, *, actor) -> Ticket:
    """T1: support confirms a "possível resposta" is the client's answer to the ticket it
    pointed at: its e-mails (text and attachments) move to that ticket as the client's reply
    (which reopens it or brings it back from waiting, as a threaded reply would), and this
    ticket is closed as linked. Returns the original ticket."""
    require(ticket, "link_reply", actor=actor)  # role, state, still a suspected reply
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        original = Ticket.objects.select_for_update().get(pk=ticket.suspected_reply_to_id)
        emails = list(ticket.emails.order_by("received_at", "pk"))
        # First the transition (its guard still sees the e-mails), then they move.
        ticket = desk.ticket_act(
            ticket,
            "link_reply",
            actor=actor,
            reason=f"Vinculado ao chamado {original.tag} como resposta do cliente.",
        )
        who = actor.get_full_name() or actor.username
        for inbound in emails:
            desk.ticket_note_add(
                original,
                kind=TicketNote.Kind.EMAIL_IN,
                text=_text_of(ticket, inbound),
                external_author=_author(inbound),
                external_id=inbound.message_id,
            )
        ticket.attachments.update(ticket=original)
        ticket.emails.update(ticket=original)
        desk.ticket_note_add(
            original,
            kind=TicketNote.Kind.INTERNAL,
            author=actor,
            text=f"{who} vinculou o e-mail do chamado {ticket.tag} como resposta do cliente "
            f"(remetente não cadastrado neste chamado).",
        )
        client_answered(
            original,
            actor=actor,
            reason=f"Cliente respondeu por e-mail (vinculado do chamado {ticket.tag}).",
        )
    return original


def _text_of(ticket: Ticket, inbound) -> str:
    note = ticket.notes.filter(kind=TicketNote.Kind.EMAIL_IN, external_id=inbound.message_id)
    first = note.values_list("text", flat=True).first()
    return first or ticket.description


def _author(inbound) -> str:
    if inbound.from_name:
        return f"{inbound.from_name} <{inbound.from_email}>"[:160]
    return inbound.from_email[:160]
