"""The ticket's conversation (T1, T4, T6, T7): one thread per ticket, replies to the client and
internal notes written on the ticket page, and who else is on the ticket right now.

- `thread(ticket)`: in order, the client's messages (the description first, then each e-mail
  received), our replies, internal notes, state changes and GitHub comments, with who and when.
- `ticket_reply`: e-mailed to the client from the support address with the `[#N]` tag and
  Message-ID / In-Reply-To / References, so the client's answer threads back
  (`tickets.mailbox`); it is the machine's `respond` (or `ask_client` / `conclude`: a state
  change in the same action) with the reply as its reason, so it counts as a response (T6) in
  the one transition path. The e-mail is sent on commit.
- `ticket_note`: an internal note, never e-mailed.
- Presence (collision warning): Django's cache only (locmem or Redis), one short-lived key per
  ticket, user and what they do (viewing, replying).
"""

import dataclasses
import logging
import mimetypes
import re

from django.core.cache import cache
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from workflows import clock
from workflows.engine import require, transition
from workflows.models import AuditEntry
from workflows.refusals import INPUT, ROLE, TransitionRefused
from workflows.roles import has_role
from workflows.selectors import audit_rows
from workflows.validators import MAX_TEXT, is_placeholder

from . import conf, desk, mailbox, mime
from .models import InboundEmail, Ticket, TicketNote, TicketNoteAttachment
from .sla_alerts import sync_sla_timers
from .statemachines import TicketFlow

log = logging.getLogger(__name__)

# What a reply may go with: the machine's client-facing events (each counts as a response).
REPLY_EVENTS = {
    "respond": "Responder ao cliente",
    "ask_client": "Responder e aguardar o cliente",
    "conclude": "Responder e concluir",
}
MAX_FILES = 10
MAX_QUOTE = 3_000  # characters of the quoted message
MAX_REFERENCES = 20  # message ids in the References header
DESCRIPTION = "descricao"  # the quotable key of the ticket's first message
PRESENCE_SECONDS = 30  # a view lasts this long without a poll (the page polls every 10 s)
REPLYING_SECONDS = 20  # "is replying" lasts this long after the last keystroke


@dataclasses.dataclass(frozen=True)
class Upload:
    """A file to attach: a sanitised name, a content type and its bytes."""

    name: str
    content_type: str
    content: bytes


# --- Writes -----------------------------------------------------------------------------------


def ticket_reply(
    ticket: Ticket, *, actor, text: str, files=(), event: str = "respond", answering: str = ""
) -> TicketNote:
    """Answer the client by e-mail, with `event` (respond, ask_client or conclude) in the same
    action. `answering`: the message answered (DESCRIPTION or a client e-mail's note id),
    else the client's last message. Refuses (every problem at once): the role or state (the
    machine), no client e-mail, a placeholder or too long text, files over the limits."""
    if event not in REPLY_EVENTS:
        raise TransitionRefused("Escolha como responder.", "T4", kind=INPUT)
    require(ticket, event, actor=actor)
    problems = _text_problems(text, "Escreva a resposta ao cliente")
    uploads, file_problems = read_uploads(files)
    problems += file_problems
    if not ticket.requester_email:
        problems.append(
            TransitionRefused(
                "Este chamado não tem o e-mail do cliente: a resposta não teria para onde ir. "
                "Informe o e-mail do cliente no chamado ou registre uma nota interna.",
                "T1",
            )
        )
    if problems:
        raise TransitionRefused.combine(problems)
    text = text.strip()
    with transaction.atomic():
        ticket = transition(ticket, event, actor=actor, reason=text)
        sync_sla_timers(ticket)
        desk.follow_github_retry(ticket)
        audit = AuditEntry.for_object(ticket).filter(event=event).order_by("-pk").first()
        message_id = make_msgid(domain=_mail_domain())
        note = TicketNote.objects.create(
            ticket=ticket,
            kind=TicketNote.Kind.EMAIL_OUT,
            text=text,
            author=actor,
            external_id=message_id[:200],
            sent_to=ticket.requester_email,
            transition=audit,
            at=audit.at if audit else clock.now(),
        )
        _keep(note, uploads)
        message = _message(ticket, note, uploads, _parent_id(ticket, answering))
        transaction.on_commit(lambda: _send(message, note.pk))
    return note


def ticket_note(ticket: Ticket, *, actor, text: str, files=()) -> TicketNote:
    """An internal note (never e-mailed): who may see the ticket may write one, in any state."""
    if not has_role(actor, *TicketFlow.viewers):
        raise TransitionRefused("Seu perfil não permite escrever neste chamado.", kind=ROLE)
    problems = _text_problems(text, "Escreva a nota")
    uploads, file_problems = read_uploads(files)
    problems += file_problems
    if problems:
        raise TransitionRefused.combine(problems)
    with transaction.atomic():
        note = desk.add_note(ticket, kind=TicketNote.Kind.INTERNAL, text=text.strip(), author=actor)
        _keep(note, uploads)
    return note


def _own_text(text: str) -> str:
    """The reply without the message it quotes ("> " lines and their "Em … escreveu:")."""
    lines = [line for line in (text or "").split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(line for line in lines if not mime.ATTRIBUTION.match(line))


def _text_problems(text: str, what: str) -> list[TransitionRefused]:
    if is_placeholder(_own_text(text)):
        message = f"{what}: texto vazio, reticências ou só a citação não valem como mensagem."
        return [TransitionRefused(message, "T4", kind=INPUT, field="text")]
    if len(text) > MAX_TEXT:
        message = f"No máximo {MAX_TEXT:_} caracteres (tem {len(text):_}).".replace("_", ".")
        return [TransitionRefused(message, "T4", kind=INPUT, field="text")]
    return []


def read_uploads(files) -> tuple[list[Upload], list[TransitionRefused]]:
    """Uploaded files (Django `UploadedFile`s) bounded as the intake bounds a message: at most
    MAX_FILES, each up to mailbox.MAX_ATTACHMENT_BYTES, together up to the message limit."""
    files = [f for f in files if f is not None]
    problems, uploads, budget = [], [], int(conf.get("SUPPORT_EMAIL_MAX_BYTES"))
    limit = filesizeformat(min(mailbox.MAX_ATTACHMENT_BYTES, budget))

    def refuse(message):
        problems.append(TransitionRefused(message, "T1", kind=INPUT, field="files"))

    if len(files) > MAX_FILES:
        refuse(f"No máximo {MAX_FILES} anexos por mensagem.")
        return [], problems
    for upload in files:
        name = mailbox.safe_filename(upload.name)
        size = upload.size or 0
        if size == 0:
            refuse(f"“{name}” está vazio.")
        elif size > min(mailbox.MAX_ATTACHMENT_BYTES, budget):
            refuse(f"“{name}” tem {filesizeformat(size)}: cada anexo pode ter até {limit}.")
        else:
            budget -= size
            uploads.append(Upload(name, _content_type(upload, name), upload.read()))
    if budget < 0:
        refuse("Os anexos juntos passam do limite de uma mensagem.")
    return uploads, problems


def _content_type(upload, name: str) -> str:
    given = (getattr(upload, "content_type", "") or "").lower()
    if mime.SIMPLE_TYPE.fullmatch(given) and given != "application/octet-stream":
        return given
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _keep(note: TicketNote, uploads: list[Upload]) -> None:
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


# --- The e-mail -------------------------------------------------------------------------------


def _mail_domain() -> str:
    sender = conf.get("SUPPORT_EMAIL_FROM")
    domain = sender.rpartition("@")[2].strip(" >") if "@" in sender else ""
    return domain if re.fullmatch(r"[A-Za-z0-9.-]{1,200}", domain) else "balcao.suporte"


def subject_of(ticket: Ticket) -> str:
    """One header line: "Re: [#N] assunto" (the tag found again when the client answers)."""
    subject = mailbox.TAG.sub("", ticket.subject)
    subject = re.sub(r"^\s*((re|res|fw|fwd|enc)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return " ".join(f"Re: {ticket.tag} {subject}".split())


def _thread_ids(ticket: Ticket) -> list[tuple]:
    """(when, Message-ID) of every message of the ticket's thread, theirs and ours."""
    received = ticket.emails.exclude(outcome=InboundEmail.Outcome.FAILED)
    ids = [(e.received_at, e.message_id) for e in received.only("received_at", "message_id")]
    ours = ticket.notes.filter(kind=TicketNote.Kind.EMAIL_OUT).exclude(external_id="")
    ids += [(n.at, n.external_id) for n in ours.only("at", "external_id")]
    return sorted(ids)


def _parent_id(ticket: Ticket, answering: str) -> str:
    """The Message-ID of the message answered: the one quoted, else the client's last."""
    if answering == DESCRIPTION:
        first = ticket.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET).first()
        if first is not None:
            return first.message_id
    elif answering.isdigit() and len(answering) < 19:
        note = ticket.notes.filter(pk=int(answering), kind=TicketNote.Kind.EMAIL_IN).first()
        if note is not None and note.external_id:
            return note.external_id
    last = ticket.emails.exclude(outcome=InboundEmail.Outcome.FAILED)
    last = last.order_by("-received_at", "-pk").only("message_id").first()
    return last.message_id if last is not None else ""


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
        from_email=conf.get("SUPPORT_EMAIL_FROM") or None,
        to=[note.sent_to],
        headers=headers,
    )
    for upload in uploads:
        message.attach(upload.name, upload.content, upload.content_type)
    return message


def _send(message: EmailMessage, note_id: int) -> None:
    """After the commit: the reply is recorded whatever happens; a failure shows on it."""
    try:
        message.send()
    except Exception as error:
        log.exception("reply note %s not sent", note_id)
        failure = f"O e-mail não foi enviado ({type(error).__name__}). Tente de novo."
        TicketNote.objects.filter(pk=note_id).update(delivery_error=failure[:300])


# --- Reads ------------------------------------------------------------------------------------


def quote(ticket: Ticket, source: str) -> tuple[str, str]:
    """("Em 19/04/2027 09:00, Ana escreveu:\\n> …", the key answered) for the message
    `source` (DESCRIPTION or a client e-mail's note id); ("", "") when there is none."""
    if source == DESCRIPTION:
        who, at, text = requester_label(ticket), ticket.created_at, ticket.description
    elif source.isdigit() and len(source) < 19:
        note = ticket.notes.filter(pk=int(source), kind=TicketNote.Kind.EMAIL_IN).first()
        if note is None:
            return "", ""
        who, at, text = note.external_author or "o cliente", note.at, note.text
    else:
        return "", ""
    main = mime.split_quoted(text)[0].strip()
    if len(main) > MAX_QUOTE:
        main = main[:MAX_QUOTE].rstrip() + " […]"
    when = timezone.localtime(at).strftime("%d/%m/%Y %H:%M")
    lines = "\n".join(f"> {line}" if line.strip() else ">" for line in main.split("\n"))
    return f"Em {when}, {who} escreveu:\n{lines}", source


def requester_label(ticket: Ticket) -> str:
    name = ticket.requester or (ticket.ficha.name if ticket.ficha_id else "")
    if ticket.requester_email:
        return f"{name} <{ticket.requester_email}>" if name else ticket.requester_email
    return name or "o cliente"


def thread(ticket: Ticket) -> list[dict]:
    """The conversation, oldest first. Each item: `kind` (client, reply, internal, github,
    event), `at`, `who`, `parts` (text, quoted history), and what its kind shows (`note`,
    `audit`, `files`, `html_email`, `quotable`, `change`)."""
    notes = list(
        ticket.notes.select_related("author", "transition").prefetch_related(
            "revisions", Prefetch("files", TicketNoteAttachment.objects.defer("content"))
        )
    )
    html = dict(
        ticket.emails.exclude(html="").values_list("message_id", "pk").order_by("received_at")
    )
    first_email = ticket.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET).first()
    first_html = html.pop(first_email.message_id, None) if first_email else None
    items = [
        {
            "kind": "client",
            "order": 0,
            "at": ticket.created_at,
            "who": requester_label(ticket),
            "label": "Mensagem do cliente"
            if ticket.channel == Ticket.Channel.EMAIL
            else f"Pedido do cliente ({ticket.get_channel_display()})",
            "recorded_by": ticket.created_by,
            "parts": mime.split_quoted(ticket.description)
            if ticket.channel == Ticket.Channel.EMAIL
            else (ticket.description, ""),
            "quotable": DESCRIPTION,
            "html_email": first_html,
        }
    ]
    folded = {n.transition_id for n in notes if n.transition_id}
    for row in audit_rows(ticket):
        if row["audit"].pk in folded:
            continue  # told on the reply it went with
        items.append({"kind": "event", "order": 2, **row})
    for note in notes:
        items.append(_note_item(note, html))
    # Client e-mails whose note is not there (linked from elsewhere) keep their original.
    for message_id, pk in html.items():
        if not any(n.external_id == message_id for n in notes):
            items[0].setdefault("more_html", []).append(pk)
    # At one moment (an e-mail and the transition it caused) the message comes first.
    return sorted(items, key=lambda i: (i["at"], i["order"]))


def _note_item(note: TicketNote, html: dict) -> dict:
    kind = note.kind
    Kind = TicketNote.Kind
    item = {"order": 1, "at": note.at, "who": note.author or note.external_author, "note": note}
    item["parts"] = (
        mime.split_quoted(note.text) if kind in (Kind.EMAIL_IN, Kind.EMAIL_OUT) else (note.text, "")
    )
    if kind == Kind.EMAIL_IN:
        item.update(kind="client", label="Mensagem do cliente", quotable=str(note.pk))
        item["html_email"] = html.get(note.external_id)
    elif (kind == Kind.EMAIL_OUT and note.sent_to) or kind == Kind.CLIENT_UPDATE:
        item.update(kind="reply", label="Resposta ao cliente", files=list(note.files.all()))
        if note.transition is not None and note.transition.from_state != note.transition.to_state:
            item["change"] = (
                TicketFlow.state_label(note.transition.from_state),
                TicketFlow.state_label(note.transition.to_state),
            )
    elif kind == Kind.EMAIL_OUT:  # sent by a status change of the Ações card
        item.update(kind="event", label=f"E-mail ao cliente · {note.text}", parts=("", ""))
    elif kind == Kind.INTERNAL:
        item.update(kind="internal", label="Nota interna", files=list(note.files.all()))
    else:
        item.update(kind="github", label=note.get_kind_display())
    return item


# --- Presence (collision warning) -------------------------------------------------------------


def _presence_key(ticket_id: int, user_id: int, what: str) -> str:
    return f"ticket-presence:{ticket_id}:{user_id}:{what}"


def presence_mark(ticket_id: int, user, *, replying: bool = False) -> None:
    """The user is on the ticket's page (and typing a reply, `replying`) now."""
    cache.set(_presence_key(ticket_id, user.pk, "viewing"), 1, PRESENCE_SECONDS)
    if replying:
        cache.set(_presence_key(ticket_id, user.pk, "replying"), 1, REPLYING_SECONDS)


def presence_of(ticket_id: int, user) -> list[dict]:
    """Who else is on the ticket now: [{"name", "replying"}], those replying first."""
    people = [p for p in desk.support_people() if p.pk != user.pk]
    keys = [_presence_key(ticket_id, p.pk, w) for p in people for w in ("viewing", "replying")]
    found = cache.get_many(keys) if keys else {}
    present = []
    for person in people:
        replying = _presence_key(ticket_id, person.pk, "replying") in found
        if replying or _presence_key(ticket_id, person.pk, "viewing") in found:
            name = person.get_full_name() or person.username
            present.append({"name": name, "replying": replying})
    return sorted(present, key=lambda p: (not p["replying"], p["name"]))
