"""Support business logic: tickets (T2, T4), the SLA queue and its timers (T6).

Views call these functions; state changes go through `workflows.engine.transition` only.
"""

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from workflows import clock, timers
from workflows.businessdays import add_business_days
from workflows.engine import TransitionRefused, transition
from workflows.models import AuditEntry
from workflows.roles import MANAGER, SUPPORT, SUPPORT_DEV

from . import sla
from .models import SlaPolicy, Ticket, TicketAlert, TicketNote, priority_for

log = logging.getLogger(__name__)

SLA_TIMERS = {
    # key: (target, kind, handler)
    "sla_response_warning": ("response", "warning", "tickets.services.sla_response_warning"),
    "sla_response_breach": ("response", "breach", "tickets.services.sla_response_breach"),
    "sla_resolution_warning": ("resolution", "warning", "tickets.services.sla_resolution_warning"),
    "sla_resolution_breach": ("resolution", "breach", "tickets.services.sla_resolution_breach"),
}


def policy_for(urgency: int, impact: int) -> SlaPolicy:
    """T6: the policy of the priority (urgency × impact); any policy if none matches."""
    policy = SlaPolicy.objects.filter(priority=priority_for(urgency, impact)).first()
    policy = policy or SlaPolicy.objects.order_by("pk").first()
    if policy is None:
        raise TransitionRefused("Cadastre uma política de SLA antes de abrir chamados.", "T6")
    return policy


def create_ticket(*, actor, sla_policy=None, **fields) -> Ticket:
    """T2: open a ticket; the SLA clock starts now (first response and resolution)."""
    now = clock.now()
    policy = sla_policy or policy_for(
        fields.get("urgency", Ticket._meta.get_field("urgency").default),
        fields.get("impact", Ticket._meta.get_field("impact").default),
    )
    with transaction.atomic():
        ticket = Ticket(created_by=actor, created_at=now, sla_policy=policy, **fields)
        ticket.response_since = ticket.resolution_since = now
        ticket.response_due_at = sla.add_business_minutes(
            now, policy.first_response_minutes, policy
        )
        ticket.resolution_due_at = sla.add_business_minutes(now, policy.resolution_minutes, policy)
        ticket.full_clean()
        ticket.save()
        sync_sla_timers(ticket)
    return ticket


def act(ticket: Ticket, event: str, *, actor, reason: str = "", **data) -> Ticket:
    """T4: one audited ticket transition, then the SLA timers follow the new deadlines (T6)."""
    with transaction.atomic():
        ticket = transition(ticket, event, actor=actor, reason=(reason or "").strip(), **data)
        sync_sla_timers(ticket)
    return ticket


def add_note(ticket, *, kind, text, author=None, external_author="", external_id="", at=None):
    return TicketNote.objects.create(
        ticket=ticket,
        kind=kind,
        text=text,
        author=author,
        external_author=external_author,
        external_id=external_id,
        at=at or clock.now(),
    )


# -- T6: SLA timers ----------------------------------------------------------------------------


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


def waiting_queue():
    """T6: clients waiting for a return from us, the nearest breach first, then priority."""
    tickets = list(
        Ticket.objects.filter(
            state__in=[Ticket.State.OPEN, Ticket.State.ANALYSIS, Ticket.State.DEVELOPMENT]
        ).select_related("sla_policy", "assignee", "ficha")
    )
    now = clock.now()

    def next_breach(t):
        dues = [d for d in (t.response_due_at, t.resolution_due_at) if d is not None]
        return min(dues) if dues else now.replace(year=now.year + 100)

    tickets.sort(key=lambda t: (next_breach(t), -t.priority_score, t.pk))
    rows = []
    for t in tickets:
        due = next_breach(t)
        rows.append(
            {
                "ticket": t,
                "due": due,
                "what": "retorno" if due == t.response_due_at else "resolução",
                "remaining": sla.describe_remaining(now, due, t.sla_policy),
                "breached": due <= now,
                "warned": now
                >= sla.warning_point(
                    (t.response_since if due == t.response_due_at else t.resolution_since)
                    or t.created_at,
                    due,
                    t.sla_policy,
                ),
            }
        )
    return rows


def stale_tickets(days: int = 1):
    """T4/T8: active tickets whose status nobody touched for `days` business days."""
    limit_day = add_business_days(clock.today(), -days)
    ct_tickets = Ticket.objects.filter(state__in=Ticket.ACTIVE)
    recent = set(
        AuditEntry.objects.filter(
            content_type__app_label="tickets",
            content_type__model="ticket",
            at__date__gt=limit_day,
        ).values_list("object_id", flat=True)
    )
    return [
        t for t in ct_tickets.filter(created_at__date__lte=limit_day) if str(t.pk) not in recent
    ]


def support_people():
    User = get_user_model()
    return (
        User.objects.filter(groups__name__in=[SUPPORT, SUPPORT_DEV, MANAGER], is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )
