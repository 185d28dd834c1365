"""Support (document 002): G3stor tickets (T2, T4), SLA (T6), GitHub (T7), Textura (T3, T5),
the daily routine (T8), e-mail intake (T1). Import models from here (`tickets.models`)."""

from .mail import EmailAttachment, InboundEmail, MailboxState
from .notes import TicketNote, TicketNoteAttachment, TicketNoteRevision
from .routine import RoutineCheck, RoutineItem
from .textura import Architect, ArchitectChange, Romaneio, RomaneioItem
from .tickets import (
    GithubDelivery,
    Level,
    SlaPolicy,
    Ticket,
    TicketAlert,
    priority_for,
)

__all__ = [
    "Architect",
    "ArchitectChange",
    "EmailAttachment",
    "GithubDelivery",
    "InboundEmail",
    "Level",
    "MailboxState",
    "Romaneio",
    "RomaneioItem",
    "RoutineCheck",
    "RoutineItem",
    "SlaPolicy",
    "Ticket",
    "TicketAlert",
    "TicketNote",
    "TicketNoteAttachment",
    "TicketNoteRevision",
    "priority_for",
]
