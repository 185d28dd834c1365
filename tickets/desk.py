"""Support desk (T1, T2, T4, T6, T8): open tickets, move them through `TicketFlow`, keep their
notes, give the client a return (`ticket_send_reply`: the one path, e-mailed or told another
way), and the desk's queries (stale tickets, support people).

State changes go through `workflows.engine.transition` only; each one re-arms the SLA timers
(`tickets.sla_alerts`) and keeps a pending GitHub retry (`tickets.github_sync`) armed.
"""

import dataclasses
import datetime as dt
import logging
import re

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
from .models import (
    InboundEmail,
    SlaPolicy,
    Ticket,
    TicketNote,
    TicketNoteAttachment,
    priority_for,
)
from .sla_alerts import sync_sla_timers
from .statemachines import CLIENT_FACING

log = logging.getLogger(__name__)
TAG = re.compile(r"\[#(\d{1,18})\]")  # a ticket's tag in a subject line
MAX_REFERENCES = 20  # message ids in the References header of a reply


def policy_for(urgency: int, impact: int) -> SlaPolicy:
    """T6: the policy of the priority (urgency × impact); any policy if none matches."""
    policy = SlaPolicy.objects.filter(priority=priority_for(urgency, impact)).first()
    policy = policy or SlaPolicy.objects.order_by("pk").first()
    if policy is None:
        raise TransitionRefused("Cadastre uma política de SLA antes de abrir chamados.", "T6")
    return policy


def ticket_create(*, actor, sla_policy=None, **fields) -> Ticket:
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


def ticket_act(ticket: Ticket, event: str, *, actor, reason: str = "", **data) -> Ticket:
    """T4: one audited ticket transition, then the SLA timers follow the new deadlines (T6).
    A client-facing event by a person (T6: respond, ask_client, conclude) is a return to the
    client: `ticket_send_reply`, with the reason as what the client was told (e-mailed when the
    ticket has the client's address)."""
    if event in CLIENT_FACING and actor is not None:
        email = bool(ticket.requester_email)
        return ticket_send_reply(
            ticket, event, actor=actor, text=(reason or "").strip(), email=email
        ).ticket
    with transaction.atomic():
        ticket = _move(ticket, event, actor=actor, reason=(reason or "").strip(), **data)
    return ticket


def _move(ticket: Ticket, event: str, *, actor, reason: str, **data) -> Ticket:
    ticket = transition(ticket, event, actor=actor, reason=reason, **data)
    sync_sla_timers(ticket)
    follow_github_retry(ticket)
    return ticket


# --- The return to the client (T1, T6) ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file to attach: a sanitised name, a content type and its bytes."""

    name: str
    content_type: str
    content: bytes


def ticket_send_reply(
    ticket: Ticket, event: str, *, actor, text: str, uploads=(), parent: str = "", email=True
) -> TicketNote:
    """T1/T6: the one way a return reaches the client: the machine's `event` (respond,
    ask_client or conclude: a response, T6) with the text as its reason, and the text kept on
    the ticket with its files. `email`: sent from the support address with the `[#N]` tag and
    Message-ID / In-Reply-To (`parent`, else the client's last message) / References, so the
    client's answer threads back; a failure shows on the reply. Without `email` the text is
    what the client was told another way (phone, chat): kept, never e-mailed. The e-mail goes
    once the reply is saved (callers run outside a transaction: then that is the commit)."""
    with transaction.atomic():
        ticket = _move(ticket, event, actor=actor, reason=text)
        audit = AuditEntry.for_object(ticket).filter(event=event).order_by("-pk").first()
        note = TicketNote.objects.create(
            ticket=ticket,
            kind=TicketNote.Kind.EMAIL_OUT if email else TicketNote.Kind.CLIENT_UPDATE,
            text=text,
            author=actor,
            external_id=make_msgid(domain=_mail_domain())[:200] if email else "",
            sent_to=ticket.requester_email if email else "",
            transition=audit,
            at=audit.at if audit else clock.now(),
        )
        keep_files(note, uploads)
        message = _message(ticket, note, uploads, parent or _last_in(ticket)) if email else None
    if message is not None:
        _send(message, note.pk)
    return note


def keep_files(note: TicketNote, uploads) -> None:
    """The files of a reply or an internal note (`Upload`s, already bounded)."""
    TicketNoteAttachment.objects.bulk_create(
        TicketNoteAttachment(
            note=note,
            filename=u.name,
            content_type=u.content_type,
            size=len(u.content),
            content=u.content,
        )
        for u in uploads
    )


def _mail_domain() -> str:
    sender = from_conf("SUPPORT_EMAIL_FROM")
    domain = sender.rpartition("@")[2].strip(" >") if "@" in sender else ""
    return domain if re.fullmatch(r"[A-Za-z0-9.-]{1,200}", domain) else "balcao.suporte"


def subject_of(ticket: Ticket) -> str:
    """One header line: "Re: [#N] assunto" (the tag found again when the client answers)."""
    subject = TAG.sub("", ticket.subject)
    subject = re.sub(r"^\s*((re|res|fw|fwd|enc)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return " ".join(f"Re: {ticket.tag} {subject}".split())


def _last_in(ticket: Ticket) -> str:
    """The Message-ID of the client's last message ("" when none came by e-mail)."""
    last = ticket.emails.exclude(outcome=InboundEmail.Outcome.FAILED)
    last = last.order_by("-received_at", "-pk").only("message_id").first()
    return last.message_id if last is not None else ""


def _thread_ids(ticket: Ticket) -> list[tuple]:
    """(when, Message-ID) of every message of the ticket's thread, theirs and ours."""
    received = ticket.emails.exclude(outcome=InboundEmail.Outcome.FAILED)
    ids = [(e.received_at, e.message_id) for e in received.only("received_at", "message_id")]
    ours = ticket.notes.filter(kind=TicketNote.Kind.EMAIL_OUT).exclude(external_id="")
    ids += [(n.at, n.external_id) for n in ours.only("at", "external_id")]
    return sorted(ids)


def _message(ticket: Ticket, note: TicketNote, uploads, parent: str) -> EmailMessage:
    headers = {"Message-ID": note.external_id}
    if parent:
        ids = [i for _, i in _thread_ids(ticket) if i != note.external_id]
        chain = ids[: ids.index(parent) + 1] if parent in ids else [*ids, parent]
        headers["In-Reply-To"] = parent
        headers["References"] = " ".join(chain[-MAX_REFERENCES:])
    message = EmailMessage(
        subject=subject_of(ticket),
        body=note.text,
        from_email=from_conf("SUPPORT_EMAIL_FROM") or None,
        to=[note.sent_to],
        headers=headers,
    )
    for upload in uploads:
        message.attach(upload.name, upload.content, upload.content_type)
    return message


def _send(message: EmailMessage, note_id: int) -> None:
    """The reply is recorded whatever happens; a failure shows on it."""
    try:
        message.send()
    except Exception as error:
        log.exception("reply note %s not sent", note_id)
        failure = f"O e-mail não foi enviado ({type(error).__name__}). Tente de novo."
        TicketNote.objects.filter(pk=note_id).update(delivery_error=failure[:300])


def follow_github_retry(ticket: Ticket) -> None:
    """T7: a pending GitHub retry stays armed whatever state the ticket moves to."""
    if not ticket.github_pending or ticket.github_issue_number:
        return
    pending = Timer.for_object(ticket).filter(key="github_retry", fired_at__isnull=True)
    for timer in pending:
        timers.arm(ticket, timer.key, timer.due_at, timer.handler, armed_state=ticket.state)


def ticket_note_add(
    ticket, *, kind, text, author=None, external_author="", external_id="", at=None
):
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
