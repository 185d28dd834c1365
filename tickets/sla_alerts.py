"""T6: the SLA timers of a ticket (80 % warning and breach, for the first response and the
resolution) and the alerts they raise: the warning to the assignee, the breach to the managers.
"""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import timezone

from workflows import clock, timers
from workflows.roles import MANAGER, SUPPORT

from . import sla
from .models import Ticket, TicketAlert

SLA_TIMERS = {
    # key: (target, kind, handler)
    "sla_response_warning": ("response", "warning", "tickets.sla_alerts.sla_response_warning"),
    "sla_response_breach": ("response", "breach", "tickets.sla_alerts.sla_response_breach"),
    "sla_resolution_warning": (
        "resolution",
        "warning",
        "tickets.sla_alerts.sla_resolution_warning",
    ),
    "sla_resolution_breach": ("resolution", "breach", "tickets.sla_alerts.sla_resolution_breach"),
}


def _deadlines(ticket: Ticket):
    """(key, due_at) of the four SLA timers; due None means disarmed."""
    policy = ticket.sla_policy
    result = {}
    response_live = ticket.waits_for_us and ticket.response_due_at and ticket.response_since
    resolution_live = ticket.is_active and ticket.resolution_due_at and ticket.resolution_since
    result["sla_response_breach"] = ticket.response_due_at if response_live else None
    result["sla_response_warning"] = (
        sla.warning_point(ticket.response_since, ticket.response_due_at, policy)
        if response_live
        else None
    )
    result["sla_resolution_breach"] = ticket.resolution_due_at if resolution_live else None
    result["sla_resolution_warning"] = (
        sla.warning_point(ticket.resolution_since, ticket.resolution_due_at, policy)
        if resolution_live
        else None
    )
    return result


def sync_sla_timers(ticket: Ticket) -> None:
    """T6: arm (or move, or disarm) the 80 % warning and the breach timer of each deadline.

    Re-arming on every change keeps each timer bound to the ticket's current state; a timer
    that fires twice for the same deadline is harmless (alerts are unique per deadline).
    """
    for key, due in _deadlines(ticket).items():
        if due is None:
            timers.disarm(ticket, key)
        else:
            timers.arm(ticket, key, due, SLA_TIMERS[key][2], armed_state=ticket.state)


def _recipients(kind: str, ticket: Ticket) -> list:
    User = get_user_model()
    if kind == "warning" and ticket.assignee_id:
        return [ticket.assignee]
    role = SUPPORT if kind == "warning" else MANAGER
    return list(User.objects.filter(groups__name=role, is_active=True).distinct())


def _alert(ticket: Ticket, key: str) -> TicketAlert | None:
    target, kind, _ = SLA_TIMERS[key]
    live = _deadlines(ticket).get(key)
    if live is None or live > clock.now():
        return None  # the deadline moved (a response arrived) or is not live any more
    due = ticket.response_due_at if target == "response" else ticket.resolution_due_at
    if TicketAlert.objects.filter(ticket=ticket, kind=kind, target=target, due_at=due).exists():
        return None
    people = _recipients(kind, ticket)
    alert = TicketAlert.objects.create(
        ticket=ticket,
        kind=kind,
        target=target,
        due_at=due,
        recipients=", ".join(u.get_full_name() or u.username for u in people),
    )
    label = TicketAlert.Target(target).label
    when = f"{timezone.localtime(due):%d/%m/%Y %H:%M}"
    if kind == "warning":
        subject = f"{ticket.tag} SLA: prazo de {label} perto de vencer"
        body = (
            f"O chamado {ticket.tag} “{ticket.subject}” usou {ticket.sla_policy.warn_percent}% "
            f"do prazo de {label} ({ticket.sla_policy}). Vence em {when}. (T6)"
        )
    else:
        subject = f"{ticket.tag} SLA estourado: {label}"
        body = (
            f"O prazo de {label} do chamado {ticket.tag} “{ticket.subject}” venceu em {when}. "
            f"Responsável: {ticket.assignee or 'ninguém'}. Escalado ao gestor. (T6)"
        )
    emails = [u.email for u in people if u.email]
    if emails:
        send_mail(subject, body, None, emails)
    return alert


def sla_response_warning(ticket):
    _alert(ticket, "sla_response_warning")


def sla_response_breach(ticket):
    _alert(ticket, "sla_response_breach")


def sla_resolution_warning(ticket):
    _alert(ticket, "sla_resolution_warning")


def sla_resolution_breach(ticket):
    _alert(ticket, "sla_resolution_breach")
