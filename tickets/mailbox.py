"""T1: the support mailbox. A django-q2 schedule (every minute) polls a real IMAP folder and
turns each new message into a ticket or into a reply on an existing one.

- Never twice: a message is imported once per Message-ID (messages without one get a content
  hash), and the poller remembers UIDVALIDITY + the last UID it read.
- Threading: In-Reply-To / References against messages we received or sent, else a `[#123]`
  ticket tag in the subject.
- A malformed message is logged, kept raw (`InboundEmail`, outcome failed) and skipped; the
  poll goes on with the next one.
"""

import contextlib
import email
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import re

from django.db import transaction
from django.utils.html import strip_tags

from workflows import clock
from workflows.models import Ficha
from workflows.refusals import TransitionRefused

from . import conf, desk
from .models import EmailAttachment, InboundEmail, MailboxState, Ticket, TicketNote

log = logging.getLogger(__name__)
TAG = re.compile(r"\[#(\d+)\]")
MSGID = re.compile(r"<[^<>\s]+>")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class MalformedEmail(Exception):
    pass


def poll() -> str:
    """Read every message after the last UID seen; returns a summary for the task log."""
    host = conf.get("SUPPORT_IMAP_HOST")
    if not host:
        return "mailbox not configured"
    folder = conf.get("SUPPORT_IMAP_FOLDER")
    port = int(conf.get("SUPPORT_IMAP_PORT"))
    use_ssl = conf.get("SUPPORT_IMAP_SSL").lower() in {"1", "true", "yes", "on"}
    imap_class = imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4
    counts = {"new_ticket": 0, "reply": 0, "failed": 0, "duplicate": 0}
    state, _ = MailboxState.objects.get_or_create(folder=folder)
    try:
        client = imap_class(host, port, timeout=30)
    except OSError as error:
        MailboxState.objects.filter(pk=state.pk).update(last_error=str(error)[:300])
        log.warning("IMAP %s:%s unreachable: %s", host, port, error)
        return f"unreachable: {error}"
    try:
        client.login(conf.get("SUPPORT_IMAP_USER"), conf.get("SUPPORT_IMAP_PASSWORD"))
        typ, _ = client.select(_quote(folder))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot select {folder}")
        uidvalidity = int((client.response("UIDVALIDITY")[1] or [b"0"])[0])
        if state.uidvalidity != uidvalidity:
            # A new UIDVALIDITY renumbers the folder: read it again (Message-IDs dedupe).
            state.uidvalidity, state.last_uid = uidvalidity, 0
        typ, data = client.uid("SEARCH", None, f"UID {state.last_uid + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > state.last_uid)
        for uid in uids:
            typ, fetched = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), b"")
            outcome = import_message(raw, folder=folder, uid=uid, uidvalidity=uidvalidity)
            counts[outcome] += 1
            client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
            state.last_uid = uid
            state.save(update_fields=["uidvalidity", "last_uid"])
        state.polled_at, state.last_error = clock.now(), ""
        state.save(update_fields=["uidvalidity", "last_uid", "polled_at", "last_error"])
    except (imaplib.IMAP4.error, OSError) as error:
        MailboxState.objects.filter(pk=state.pk).update(last_error=str(error)[:300])
        log.warning("IMAP poll failed: %s", error)
        return f"error: {error}"
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def _quote(folder: str) -> str:
    return f'"{folder}"' if " " in folder else folder


def import_message(raw: bytes, *, folder="INBOX", uid=0, uidvalidity=0) -> str:
    """Import one raw message; returns new_ticket, reply, duplicate or failed."""
    message_id = _message_id(raw)
    if InboundEmail.objects.filter(message_id=message_id).exists():
        return "duplicate"
    try:
        with transaction.atomic():
            return _import(raw, message_id, folder, uid, uidvalidity)
    except Exception as error:  # malformed or unexpected: keep it raw, log, skip
        log.exception("e-mail UID %s in %s not imported", uid, folder)
        InboundEmail.objects.create(
            message_id=message_id,
            folder=folder,
            uid=uid,
            uidvalidity=uidvalidity,
            subject=_safe_header(raw, "Subject")[:255],
            from_email=_safe_header(raw, "From")[:254],
            outcome=InboundEmail.Outcome.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            raw=raw,
        )
        return "failed"


def _message_id(raw: bytes) -> str:
    found = MSGID.search(_safe_header(raw, "Message-ID"))
    if found and len(found.group()) <= 255:
        return found.group()
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@balcao.invalid>"


def _safe_header(raw: bytes, name: str) -> str:
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        return str(msg.get(name, "") or "").strip()
    except Exception:
        return ""


def _import(raw, message_id, folder, uid, uidvalidity) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    from_name, from_email = email.utils.parseaddr(str(msg.get("From", "")))
    if "@" not in from_email:
        raise MalformedEmail("sem remetente válido (From)")
    subject = " ".join(str(msg.get("Subject", "")).split())[:255]
    body = _body(msg)
    ticket = _thread(msg, subject)
    inbound = InboundEmail(
        message_id=message_id,
        folder=folder,
        uid=uid,
        uidvalidity=uidvalidity,
        from_name=from_name[:160],
        from_email=from_email[:254],
        subject=subject,
        raw=raw,
    )
    if ticket is None:
        ticket = desk.create_ticket(
            actor=None,
            channel=Ticket.Channel.EMAIL,
            requester=(from_name or from_email)[:160],
            requester_email=from_email,
            subject=subject if len(re.sub(r"\W", "", subject)) >= 3 else "(e-mail sem assunto)",
            description=body or "(e-mail sem texto; veja os anexos)",
            ficha=Ficha.objects.filter(email__iexact=from_email).first(),
        )
        inbound.outcome = InboundEmail.Outcome.NEW_TICKET
    else:
        desk.add_note(
            ticket,
            kind=TicketNote.Kind.EMAIL_IN,
            text=body or "(e-mail sem texto; veja os anexos)",
            external_author=f"{from_name} <{from_email}>" if from_name else from_email,
            external_id=message_id,
        )
        _client_answered(ticket)
        inbound.outcome = InboundEmail.Outcome.REPLY
    inbound.ticket = ticket
    inbound.save()
    _keep_attachments(msg, inbound, ticket)
    return inbound.outcome


def _body(msg) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()  # raises on an unknown charset: a malformed message
    if part.get_content_subtype() == "html":
        content = strip_tags(content)
    return content.strip()[:20000]


def _thread(msg, subject: str) -> Ticket | None:
    """In-Reply-To / References first (messages we received or sent), then the [#id] tag."""
    refs = MSGID.findall(f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}")
    if refs:
        known = (
            InboundEmail.objects.filter(message_id__in=refs, ticket__isnull=False)
            .values_list("ticket_id", flat=True)
            .first()
        )
        known = known or (
            TicketNote.objects.filter(external_id__in=refs, kind=TicketNote.Kind.EMAIL_OUT)
            .values_list("ticket_id", flat=True)
            .first()
        )
        if known:
            return Ticket.objects.get(pk=known)
    tag = TAG.search(subject)
    if tag:
        return Ticket.objects.filter(pk=int(tag.group(1))).first()
    return None


def _client_answered(ticket: Ticket) -> None:
    """The client wrote: a waiting ticket goes back to analysis, a concluded one reopens."""
    event = {
        Ticket.State.WAITING_CLIENT: ("client_replied", "Cliente respondeu por e-mail."),
        Ticket.State.DONE: ("reopen", "Cliente respondeu por e-mail ao chamado concluído."),
    }.get(ticket.state)
    if event:
        try:
            desk.act(ticket, event[0], actor=None, reason=event[1])
        except TransitionRefused as refused:  # keep the e-mail even if the flow says no
            log.warning("ticket %s not moved by e-mail: %s", ticket.pk, refused)


def _keep_attachments(msg, inbound: InboundEmail, ticket: Ticket) -> None:
    for part in msg.iter_attachments():
        content = part.get_payload(decode=True) or b""
        name = part.get_filename() or "anexo"
        if len(content) > MAX_ATTACHMENT_BYTES:
            desk.add_note(
                ticket,
                kind=TicketNote.Kind.INTERNAL,
                text=f"Anexo “{name}” ({len(content)} bytes) acima do limite: veja o original.",
            )
            continue
        EmailAttachment.objects.create(
            email=inbound,
            ticket=ticket,
            filename=name[:255],
            content_type=part.get_content_type()[:120],
            size=len(content),
            content=content,
        )
