"""T1: the support mailbox. A django-q2 schedule (every minute) polls a real IMAP folder
(imap-tools: a folder name in any language, UIDs, the \\Seen and \\Flagged flags) and turns
each new message into a ticket or into a reply on an existing one; `tickets.mime` reads the
message (text, the original HTML, every file at any depth).

- Never twice: a message is imported once per sender and Message-ID (messages without one get
  a content hash), and the poller remembers UIDVALIDITY + the last UID it read. Another
  sender reusing a Message-ID is another message (a squatted id cannot drop the client's).
- Threading: In-Reply-To / References against messages the same sender sent or we sent, else
  a `[#123]` ticket tag in the subject. Only the ticket's client (`mail_trust`) may touch it:
  anyone else's message opens a new ticket marked "possível resposta ao chamado #N".
- Bounded: over SUPPORT_EMAIL_MAX_BYTES the original is dropped (headers and text kept, the
  ticket says so); attachments count against the same limit; names are sanitised; NUL bytes
  are removed from every text kept; long subjects are cut to the column; a body of "1" or ""
  imports, and the text never claims attachments that were not kept.
- A malformed message is logged, kept raw (`InboundEmail`, outcome failed) and skipped; the
  poll goes on with the next one. On the server it is \\Flagged (and left unread) for a
  person to see in their mail client; every other message read is \\Seen.
"""

import contextlib
import email
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from imap_tools import AND, ImapToolsError, MailBox, MailBoxUnencrypted, MailMessageFlags, U

from workflows import clock
from workflows.models import Ficha
from workflows.validators import is_placeholder

from . import conf, desk, merge, mime
from .mail_trust import client_answered, sender_trusted
from .models import EmailAttachment, InboundEmail, MailboxState, Ticket, TicketNote

log = logging.getLogger(__name__)
MSGID = re.compile(r"<[^<>\s]+>")
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_REFERENCES = 50  # the newest ids of a References header looked at
MAX_TEXT = 20_000  # characters of text kept per message
MAX_HTML = 2 * 1024 * 1024  # characters of original HTML kept
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")  # control characters, path separators


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
    counts = {"new_ticket": 0, "reply": 0, "failed": 0, "duplicate": 0}
    state, _ = MailboxState.objects.get_or_create(folder=folder)
    try:
        box = (MailBox if use_ssl else MailBoxUnencrypted)(host, port, timeout=30)
    except OSError as error:
        MailboxState.objects.filter(pk=state.pk).update(last_error=str(error)[:300])
        log.warning("IMAP %s:%s unreachable: %s", host, port, error)
        return f"unreachable: {error}"
    try:
        # imap-tools encodes the folder name (modified UTF-7, quoted): "Solicitações" works.
        box.login(conf.get("SUPPORT_IMAP_USER"), conf.get("SUPPORT_IMAP_PASSWORD"), folder)
        uidvalidity = box.folder.status(folder, ["UIDVALIDITY"]).get("UIDVALIDITY", 0)
        if state.uidvalidity != uidvalidity:
            # A new UIDVALIDITY renumbers the folder: read it again (Message-IDs dedupe).
            state.uidvalidity, state.last_uid = uidvalidity, 0
        found = box.uids(AND(uid=U(state.last_uid + 1, "*")))
        for uid in sorted(u for u in map(int, found) if u > state.last_uid):
            _typ, fetched = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched if isinstance(part, tuple)), b"")
            outcome = mailbox_import_message(raw, folder=folder, uid=uid, uidvalidity=uidvalidity)
            counts[outcome] += 1
            # T1: read ones are \Seen; one kept raw and skipped is \Flagged (and left
            # unread) so that a person sees it in their mail client too.
            flag = MailMessageFlags.FLAGGED if outcome == "failed" else MailMessageFlags.SEEN
            box.flag(str(uid), flag, True)
            state.last_uid = uid
            state.save(update_fields=["uidvalidity", "last_uid"])
        state.polled_at, state.last_error = clock.now(), ""
        state.save(update_fields=["uidvalidity", "last_uid", "polled_at", "last_error"])
    except (ImapToolsError, imaplib.IMAP4.error, OSError) as error:
        MailboxState.objects.filter(pk=state.pk).update(last_error=str(error)[:300])
        log.warning("IMAP poll failed: %s", error)
        return f"error: {error}"
    finally:
        with contextlib.suppress(ImapToolsError, imaplib.IMAP4.error, OSError, AttributeError):
            box.logout()
    return ", ".join(f"{k}={v}" for k, v in counts.items())


def mailbox_import_message(raw: bytes, *, folder="INBOX", uid=0, uidvalidity=0) -> str:
    """Import one raw message; returns new_ticket, reply, duplicate or failed."""
    message_id = _message_id(raw)
    sender = _sender(raw)
    key = dedupe_key(sender, message_id)
    if InboundEmail.objects.filter(dedupe_key=key).exists():
        return "duplicate"
    try:
        with transaction.atomic():
            return _import(raw, message_id, key, sender, folder, uid, uidvalidity)
    except Exception as error:  # malformed or unexpected: keep it raw, log, skip
        if isinstance(error, IntegrityError) and _seen(key):
            return "duplicate"  # another poller imported it meanwhile
        log.exception("e-mail UID %s in %s not imported", uid, folder)
        return _keep_failed(raw, message_id, key, folder, uid, uidvalidity, error)


def _keep_failed(raw, message_id, key, folder, uid, uidvalidity, error) -> str:
    """A message not imported: kept (bounded) for support to read; outcome failed."""
    stored, truncated = _stored_raw(raw, "")
    try:
        InboundEmail.objects.create(
            message_id=message_id,
            dedupe_key=key,
            folder=folder,
            uid=uid,
            uidvalidity=uidvalidity,
            subject=_clean(_safe_header(raw, "Subject"))[:255],
            from_email=_clean(_safe_header(raw, "From"))[:254],
            outcome=InboundEmail.Outcome.FAILED,
            error=_clean(f"{type(error).__name__}: {error}")[:2000],
            raw=stored,
            raw_truncated=truncated,
            raw_size=min(len(raw), 2**31 - 1),
        )
    except IntegrityError:  # another poller kept the same message meanwhile
        return "duplicate"
    return "failed"


def _seen(key: str) -> bool:
    return InboundEmail.objects.filter(dedupe_key=key).exists()


def dedupe_key(sender: str, message_id: str) -> str:
    """The import-once key: the sender's address (lower-cased) and the Message-ID."""
    return hashlib.sha256(f"{sender.lower()}\n{message_id}".encode("utf-8", "replace")).hexdigest()


def _message_id(raw: bytes) -> str:
    found = MSGID.search(_safe_header(raw, "Message-ID"))
    if found and len(found.group()) <= 255:
        return _clean(found.group())
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@balcao.invalid>"


def _sender(raw: bytes) -> str:
    return _clean(email.utils.parseaddr(_safe_header(raw, "From"))[1]).lower()


def _safe_header(raw: bytes, name: str) -> str:
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        return str(msg.get(name, "") or "").strip()
    except Exception:
        return ""


def _clean(text: str) -> str:
    """Text as a column keeps it: no NUL (PostgreSQL refuses it), no lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _max_bytes() -> int:
    return int(conf.get("SUPPORT_EMAIL_MAX_BYTES"))


def _stored_raw(raw: bytes, text: str) -> tuple[bytes, bool]:
    """The original, or over the limit its headers and text only (and True)."""
    if len(raw) <= _max_bytes():
        return raw, False
    cut = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    headers = raw[:cut] if 0 <= cut < 256 * 1024 else raw[: 64 * 1024]
    note = "\r\n\r\n[original acima do limite: guardados só os cabeçalhos e o texto]\r\n\r\n"
    return headers + note.encode() + text.encode("utf-8", "replace"), True


def _import(raw, message_id, key, sender, folder, uid, uidvalidity) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    from_name, from_email = email.utils.parseaddr(str(msg.get("From", "")))
    from_name, from_email = _clean(from_name), _clean(from_email)
    if "@" not in from_email:
        raise MalformedEmail("sem remetente válido (From)")
    subject = _clean(" ".join(str(msg.get("Subject", "")).split()))
    parsed = mime.parse(msg)  # raises on a body that cannot be decoded: kept raw (failed)
    body = _clean(parsed.text)[:MAX_TEXT]
    files, refused = _fitting(parsed.files)
    stored, truncated = _stored_raw(raw, body)
    inbound = InboundEmail(
        message_id=message_id,
        dedupe_key=key,
        folder=folder,
        uid=uid,
        uidvalidity=uidvalidity,
        from_name=from_name[:160],
        from_email=from_email[:254],
        subject=subject[: InboundEmail._meta.get_field("subject").max_length],
        html=_clean(parsed.html) if len(parsed.html) <= min(_max_bytes(), MAX_HTML) else "",
        raw=stored,
        raw_truncated=truncated,
        raw_size=min(len(raw), 2**31 - 1),
    )
    # T1: the text never claims attachments that were not kept.
    empty = "(e-mail sem texto; veja os anexos)" if files else "(e-mail sem texto)"
    ticket = _thread(msg, subject, sender)
    ticket = merge.kept_ticket(ticket)  # T4: a merged ticket's thread lives on the kept one
    suspected = None
    if ticket is not None and not (
        sender_trusted(ticket, from_email) or merge.merged_into_trusts(ticket, from_email)
    ):
        suspected, ticket = ticket, None  # T1: not this ticket's client: never touch it
    if ticket is None:
        ticket = _new_ticket(from_name, from_email, subject, body or empty, suspected)
        inbound.outcome = InboundEmail.Outcome.NEW_TICKET
    else:
        desk.ticket_note_add(
            ticket,
            kind=TicketNote.Kind.EMAIL_IN,
            text=body or empty,
            external_author=(f"{from_name} <{from_email}>" if from_name else from_email)[:160],
            external_id=message_id[:200],
        )
        client_answered(ticket)
        inbound.outcome = InboundEmail.Outcome.REPLY
    inbound.ticket = ticket
    inbound.save()
    if truncated:
        desk.ticket_note_add(
            ticket,
            kind=TicketNote.Kind.INTERNAL,
            text=f"E-mail de {from_email} com {_mb(len(raw))} MB, acima do limite de "
            f"{_mb(_max_bytes())} MB: o original não foi guardado (só os cabeçalhos e o texto).",
        )
    _keep_attachments(files, refused, inbound, ticket)
    return inbound.outcome


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def _new_ticket(from_name, from_email, subject, body, suspected) -> Ticket:
    """A new e-mail ticket; `suspected`: the ticket its tag or In-Reply-To pointed at."""
    try:
        validate_email(from_email)
    except ValidationError:  # kept as the contact's name; never answered by e-mail
        requester_email = ""
    else:
        requester_email = from_email
    max_subject = Ticket._meta.get_field("subject").max_length
    if is_placeholder(body):  # "ok", "1": a real message, too short for a description
        body = f"Mensagem curta do cliente: “{body}”"
    ticket = desk.ticket_create(
        actor=None,
        channel=Ticket.Channel.EMAIL,
        requester=(from_name or from_email)[:160],
        requester_email=requester_email,
        subject=subject[:max_subject].strip()
        if not is_placeholder(subject)
        else "(e-mail sem assunto)",
        description=body,
        ficha=Ficha.objects.filter(email__iexact=from_email).first() if requester_email else None,
        suspected_reply_to=suspected,
    )
    if suspected is not None:
        desk.ticket_note_add(
            ticket,
            kind=TicketNote.Kind.INTERNAL,
            text=f"Possível resposta ao chamado {suspected.tag}: o remetente {from_email} não é "
            f"o contato desse chamado nem o e-mail da ficha dele, que não foi alterado. Se for "
            f"mesmo o cliente, use “Vincular ao chamado original”.",
        )
    return ticket


def _thread(msg, subject: str, sender: str) -> Ticket | None:
    """In-Reply-To / References first (messages this sender sent, then others', then ours),
    then the [#id] tag. Whether the sender may touch the ticket found is the caller's call."""
    refs = MSGID.findall(f"{msg.get('In-Reply-To', '')} {msg.get('References', '')}")
    refs = [_clean(r) for r in refs[-MAX_REFERENCES:]]
    if refs:
        ours = InboundEmail.objects.filter(message_id__in=refs, ticket__isnull=False)
        # The sender's own messages first: another sender reusing one of its Message-IDs
        # cannot take its thread; any other match is checked for trust by the caller.
        known = (
            ours.filter(dedupe_key__in=[dedupe_key(sender, r) for r in refs])
            .values_list("ticket_id", flat=True)
            .first()
        )
        known = known or ours.values_list("ticket_id", flat=True).first()
        known = known or (
            TicketNote.objects.filter(
                external_id__in=[r[:200] for r in refs], kind=TicketNote.Kind.EMAIL_OUT
            )
            .values_list("ticket_id", flat=True)
            .first()
        )
        if known:
            return Ticket.objects.select_related("ficha").get(pk=known)
    tag = desk.TAG.search(subject)
    if tag:
        return Ticket.objects.select_related("ficha").filter(pk=int(tag.group(1))).first()
    return None


def safe_filename(name: str | None) -> str:
    """An attachment name safe for a header and a disk: no CR/LF/NUL or other control
    characters, no path separators, no leading dots; at most 255 characters, extension kept."""
    name = UNSAFE_NAME.sub("_", name or "").strip().lstrip(".").strip()
    if not name.strip("_"):
        return "anexo"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 254 - len(ext)]}.{ext}" if dot and len(ext) <= 16 else name[:255]
    return name


def _fitting(files: list[mime.File]) -> tuple[list[mime.File], list[mime.File]]:
    """The files kept (each under MAX_ATTACHMENT_BYTES, together under the message limit)
    and those refused as too big."""
    budget, kept, refused = _max_bytes(), [], []
    for item in files:
        if len(item.content) > min(MAX_ATTACHMENT_BYTES, budget):
            refused.append(item)
        else:
            budget -= len(item.content)
            kept.append(item)
    return kept, refused


def _keep_attachments(files, refused, inbound: InboundEmail, ticket: Ticket) -> None:
    for item in refused:
        desk.ticket_note_add(
            ticket,
            kind=TicketNote.Kind.INTERNAL,
            text=f"Anexo “{safe_filename(_clean(item.name))}” ({len(item.content)} bytes) "
            f"acima do limite: não foi guardado.",
        )
    EmailAttachment.objects.bulk_create(
        EmailAttachment(
            email=inbound,
            ticket=ticket,
            filename=safe_filename(_clean(item.name)),
            content_type=_clean(item.content_type)[:120],
            content_id=_clean(item.content_id)[:255],
            size=len(item.content),
            content=item.content,
        )
        for item in files
    )
