"""Support desk (T1, T2, T4, T8): open tickets, move them through `TicketFlow`, keep their
notes, answer the client by e-mail, and the desk's queries (stale tickets, support people).

State changes go through `workflows.engine.transition` only; each one re-arms the SLA timers
(`tickets.sla_alerts`) and keeps a pending GitHub retry (`tickets.github_sync`) armed.
"""

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.utils import timezone

from workflows import clock, timers
from workflows.businessdays import add_business_days
from workflows.engine import transition
from workflows.models import AuditEntry, Timer
from workflows.refusals import TransitionRefused
from workflows.roles import MANAGER, SUPPORT, SUPPORT_DEV

from . import sla
from .conf import get as from_conf
from .models import SlaPolicy, Ticket, TicketNote, priority_for
from .sla_alerts import sync_sla_timers
from .statemachines import CLIENT_FACING

log = logging.getLogger(__name__)


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
        follow_github_retry(ticket)
        if event in CLIENT_FACING and actor is not None:
            email_client(ticket, reason.strip())
    return ticket


def email_client(ticket: Ticket, text: str) -> None:
    """T1: a ticket that came by e-mail is answered by e-mail (SMTP), with its [#id] tag and
    threaded on the client's last message; the Message-ID is kept to thread their answer."""
    if ticket.channel != Ticket.Channel.EMAIL or not ticket.requester_email:
        return
    last_in = ticket.emails.exclude(outcome="failed").order_by("-received_at", "-pk").first()
    headers = {"Message-ID": make_msgid(domain="balcao.suporte")}
    if last_in is not None:
        headers["In-Reply-To"] = last_in.message_id
        headers["References"] = last_in.message_id
    message = EmailMessage(
        subject=" ".join(f"Re: {ticket.tag} {ticket.subject}".split()),  # one header line
        body=text,
        from_email=from_conf("SUPPORT_EMAIL_FROM") or None,
        to=[ticket.requester_email],
        headers=headers,
    )
    try:
        message.send()
    except Exception:  # the answer is recorded anyway; support sees it was not delivered
        log.exception("reply to ticket %s not sent", ticket.pk)
        add_note(ticket, kind=TicketNote.Kind.INTERNAL, text="Falha ao enviar o e-mail ao cliente.")
        return
    add_note(
        ticket,
        kind=TicketNote.Kind.EMAIL_OUT,
        text=f"Enviado para {ticket.requester_email}.",
        external_id=headers["Message-ID"],
    )


def follow_github_retry(ticket: Ticket) -> None:
    """T7: a pending GitHub retry stays armed whatever state the ticket moves to."""
    if not ticket.github_pending or ticket.github_issue_number:
        return
    pending = Timer.for_object(ticket).filter(key="github_retry", fired_at__isnull=True)
    for timer in pending:
        timers.arm(ticket, timer.key, timer.due_at, timer.handler, armed_state=ticket.state)


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


def stale_since(days: int = 1) -> dt.datetime:
    """T4/T8: a status untouched since this moment (`days` business days back) is stale."""
    limit_day = add_business_days(clock.today(), -days)
    return timezone.make_aware(dt.datetime.combine(limit_day + dt.timedelta(days=1), dt.time()))


def stale_tickets(since: dt.datetime | None = None):
    """T4/T8: active tickets whose status nobody touched since `since` (stale_since()) (a
    queryset: one NOT EXISTS per ticket on the audit's (content type, object) index)."""
    since = since or stale_since()
    touched = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=Cast(OuterRef("pk"), CharField()),
        at__gte=since,
    )
    return Ticket.objects.filter(state__in=Ticket.ACTIVE, created_at__lt=since).exclude(
        Exists(touched)
    )


def support_people():
    User = get_user_model()
    return (
        User.objects.filter(groups__name__in=[SUPPORT, SUPPORT_DEV, MANAGER], is_active=True)
        .distinct()
        .order_by("first_name", "username")
    )
