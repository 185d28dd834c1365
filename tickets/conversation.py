"""The ticket's conversation (T1, T4, T6, T7): one thread per ticket, replies to the client and
internal notes written on the ticket page (who else is on it right now: `tickets.presence`).

- `thread(ticket)`: in order, the client's messages (the description first, then each e-mail
  received), our replies, internal notes, state changes and GitHub comments, with who and when.
- `ticket_reply`: the reply editor's return to the client, checked (text, files, address)
  and handed to `tickets.desk.reply`, the one path of a return: the machine's `respond` (or
  `ask_client` / `conclude`: a state change in the same action) with the reply as its reason,
  so it counts as a response (T6), e-mailed from the support address with the `[#N]` tag and
  Message-ID / In-Reply-To / References so the client's answer threads back
  (`tickets.mailbox`), or, for a client without an e-mail address, kept as told another way.
- `ticket_note`: an internal note, never e-mailed.
- T4: nothing more is written on a merged ticket (a note, a reply, an edit): its thread lives
  on the kept one. The machine's `thread_open` decides (`thread_refusal`); the page asks it too.
"""

import logging
import mimetypes
from collections import defaultdict

from django.db import transaction
from django.db.models import F, Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from workflows import clock
from workflows.engine import require, require_guard
from workflows.refusals import INPUT, ROLE, TransitionRefused
from workflows.roles import has_role
from workflows.selectors import audit_rows
from workflows.validators import MAX_TEXT, is_placeholder

from . import conf, desk, mailbox, mime
from .models import InboundEmail, Ticket, TicketNote, TicketNoteAttachment, TicketNoteRevision
from .statemachines import TicketFlow

log = logging.getLogger(__name__)

# What a reply may go with: the machine's client-facing events (each counts as a response).
REPLY_EVENTS = {
    "respond": "Responder ao cliente",
    "ask_client": "Responder e aguardar o cliente",
    "conclude": "Responder e concluir",
}
# The same, for a client without an e-mail address: the return told by phone or chat (T6).
RECORD_EVENTS = {
    "respond": "Registrar retorno ao cliente",
    "ask_client": "Registrar retorno e aguardar o cliente",
    "conclude": "Registrar retorno e concluir",
}
MAX_FILES = 10
MAX_QUOTE = 3_000  # characters of the quoted message
DESCRIPTION = "descricao"  # the quotable key of the ticket's first message
MAX_INLINE_IMAGE_BYTES = 2 * 1024 * 1024  # an inline image shown in the thread and the frame
INLINE_IMAGE_TYPE = r"^image/[a-z0-9][a-z0-9.+-]{0,60}$"  # mime.SIMPLE_TYPE, images only


# --- Writes -----------------------------------------------------------------------------------


def ticket_reply(
    ticket: Ticket,
    *,
    actor,
    text: str,
    files=(),
    event: str = "respond",
    answering: str = "",
    email: bool = True,
) -> TicketNote:
    """Give the client a return from the reply editor, with `event` (respond, ask_client or
    conclude) in the same action: `desk.ticket_send_reply`, the one path, e-mailed (`email`)
    or, for a client without an e-mail address, recorded as told another way. `answering`:
    the message answered (DESCRIPTION or a client e-mail's note id), else the client's last message.
    Refuses (every problem at once): the role or state (the machine), no client e-mail to
    send to, a placeholder or too long text, files over the limits."""
    if event not in REPLY_EVENTS:
        raise TransitionRefused("Escolha como responder.", "T4", kind=INPUT)
    try:
        require(ticket, event, actor=actor)
    except TransitionRefused as refused:
        # T4: a merged ticket is refused for its state: rather say where to write.
        merged = None if refused.forbidden else thread_refusal(ticket)
        if merged is None:
            raise
        raise merged from None
    problems = _text_problems(text, "Escreva a resposta ao cliente")
    uploads, file_problems = read_uploads(files)
    problems += file_problems
    if email and not ticket.requester_email:
        problems.append(
            TransitionRefused(
                "Este chamado não tem o e-mail do cliente: a resposta não teria para onde ir. "
                "Informe o e-mail do cliente no chamado ou registre uma nota interna.",
                "T1",
            )
        )
    if problems:
        raise TransitionRefused.combine(problems)
    parent = _parent_id(ticket, answering) if email else ""
    return desk.ticket_send_reply(
        ticket, event, actor=actor, text=text.strip(), uploads=uploads, parent=parent, email=email
    )


def thread_refusal(ticket: Ticket) -> TransitionRefused | None:
    """T4: the machine's `thread_open`: a merged ticket's thread lives on the kept one, so
    nothing more is written on it (None: it may be written on)."""
    try:
        require_guard(ticket, "thread_open")
    except TransitionRefused as refused:
        return refused
    return None


def note_refusal(ticket: Ticket, actor) -> TransitionRefused | None:
    """Who may write an internal note on `ticket` now (None: may): who may see the ticket,
    in any state but merged (T4). The ticket page asks this for its note button."""
    if actor is None or not has_role(actor, *TicketFlow.viewers):
        return TransitionRefused("Seu perfil não permite escrever neste chamado.", kind=ROLE)
    return thread_refusal(ticket)


def ticket_note(ticket: Ticket, *, actor, text: str, files=()) -> TicketNote:
    """An internal note (never e-mailed): who may see the ticket may write one, in any state
    but merged (T4, `note_refusal`)."""
    refusal = note_refusal(ticket, actor)
    if refusal is not None:
        raise refusal
    problems = _text_problems(text, "Escreva a nota")
    uploads, file_problems = read_uploads(files)
    problems += file_problems
    if problems:
        raise TransitionRefused.combine(problems)
    with transaction.atomic():
        # T4: asked again on the locked row (a merge locks it too): no note lands on a
        # ticket merged in the meantime.
        refusal = thread_refusal(Ticket.objects.select_for_update().get(pk=ticket.pk))
        if refusal is not None:
            raise refusal
        note = desk.ticket_note_add(
            ticket, kind=TicketNote.Kind.INTERNAL, text=text.strip(), author=actor
        )
        desk.keep_files(note, uploads)
    return note


def note_edit_refusal(note: TicketNote, actor) -> TransitionRefused | None:
    """T4: who may edit a note: only an internal note, only by its author, not on a merged
    ticket (None: may). A reply already e-mailed went to the client as it was: it is never
    edited."""
    if note.kind == TicketNote.Kind.EMAIL_OUT and note.sent_to:
        return TransitionRefused(
            "Esta resposta já foi enviada por e-mail ao cliente e não pode ser editada: ele "
            "recebeu o texto como está. Escreva uma nova resposta ou uma nota interna.",
            "T1",
            "T4",
        )
    if note.kind != TicketNote.Kind.INTERNAL:
        return TransitionRefused("Só notas internas podem ser editadas.", "T4")
    if actor is None or note.author_id != actor.pk or not has_role(actor, *TicketFlow.viewers):
        return TransitionRefused("Só quem escreveu a nota interna pode editá-la.", kind=ROLE)
    return thread_refusal(note.ticket)


def ticket_note_edit(note: TicketNote, *, actor, text: str) -> TicketNote:
    """T4: the author of an internal note changes its text; the text it had is kept as a
    revision (who, when), so the note shows "editada" with its earlier versions."""
    refusal = note_edit_refusal(note, actor)
    if refusal is not None:
        raise refusal
    problems = _text_problems(text, "Escreva a nota")
    if problems:
        raise TransitionRefused.combine(problems)
    text = text.strip()
    with transaction.atomic():
        note = TicketNote.objects.select_for_update().get(pk=note.pk)
        if note.text == text:
            raise TransitionRefused("O texto não mudou.", "T4", kind=INPUT, field="text")
        now = clock.now()
        TicketNoteRevision.objects.create(
            note=note,
            change=TicketNoteRevision.Change.AUTHOR,
            text=note.text,
            at=now,
            by=(actor.get_full_name() or actor.username)[:160],
        )
        note.text, note.edited_at = text, now
        note.save(update_fields=["text", "edited_at"])
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


def read_uploads(files) -> tuple[list[desk.Upload], list[TransitionRefused]]:
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
            uploads.append(desk.Upload(name, _content_type(upload, name), upload.read()))
    if budget < 0:
        refuse("Os anexos juntos passam do limite de uma mensagem.")
    return uploads, problems


def _content_type(upload, name: str) -> str:
    given = (getattr(upload, "content_type", "") or "").lower()
    if mime.SIMPLE_TYPE.fullmatch(given) and given != "application/octet-stream":
        return given
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _parent_id(ticket: Ticket, answering: str) -> str:
    """The Message-ID of the message answered: the one quoted ("" for the client's last)."""
    if answering == DESCRIPTION:
        first = ticket.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET).first()
        if first is not None:
            return first.message_id
    elif answering.isdigit() and len(answering) < 19:
        note = ticket.notes.filter(pk=int(answering), kind=TicketNote.Kind.EMAIL_IN).first()
        if note is not None and note.external_id:
            return note.external_id
    return ""


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


def inline_images(attachments):
    """T1: the images a client's HTML shows in its body (`cid:`), without their bytes:
    kept attachments with a Content-ID, a plain image type and a size a page may show."""
    return (
        attachments.filter(content_type__regex=INLINE_IMAGE_TYPE, size__lte=MAX_INLINE_IMAGE_BYTES)
        .exclude(content_id="")
        .defer("content")
    )


def thread(ticket: Ticket, viewer=None) -> list[dict]:
    """The conversation, oldest first. Each item: `kind` (client, reply, internal, github,
    event), `at`, `who`, `parts` (text, quoted history), and what its kind shows (`note`,
    `audit`, `files`, `images`, `html_email`, `quotable`, `change`, `editable`: `viewer`
    may edit it, `note_edit_refusal`)."""
    notes = list(
        ticket.notes.select_related("author", "transition").prefetch_related(
            "revisions", Prefetch("files", TicketNoteAttachment.objects.defer("content"))
        )
    )
    html = dict(
        ticket.emails.exclude(html="").values_list("message_id", "pk").order_by("received_at")
    )
    first_email = (
        ticket.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET)
        .order_by("received_at", "pk")
        .first()
    )
    first_html = html.pop(first_email.message_id, None) if first_email else None
    images = defaultdict(list)  # Message-ID → the images in its body
    inline = inline_images(ticket.attachments.all()).annotate(message_id=F("email__message_id"))
    for image in inline:
        images[image.message_id].append(image)
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
            "images": images.pop(first_email.message_id, []) if first_email else [],
        }
    ]
    folded = {n.transition_id for n in notes if n.transition_id}
    for row in audit_rows(ticket):
        if row["audit"].pk in folded:
            continue  # told on the reply it went with
        items.append({"kind": "event", "order": 2, **row})
    for note in notes:
        items.append(_note_item(note, html, images))
        items[-1]["editable"] = viewer is not None and _may_edit(note, viewer)
    # Client e-mails whose note is not there (linked from elsewhere) keep their original.
    for message_id, pk in html.items():
        if not any(n.external_id == message_id for n in notes):
            items[0].setdefault("more_html", []).append(pk)
    for message_id, shown in images.items():
        if not any(n.external_id == message_id for n in notes):
            items[0]["images"] += shown
    # At one moment (an e-mail and the transition it caused) the message comes first.
    return sorted(items, key=lambda i: (i["at"], i["order"]))


def _may_edit(note: TicketNote, viewer) -> bool:
    mine = note.kind == TicketNote.Kind.INTERNAL and note.author_id == viewer.pk
    return mine and note_edit_refusal(note, viewer) is None


def _note_item(note: TicketNote, html: dict, images: dict) -> dict:
    kind = note.kind
    Kind = TicketNote.Kind
    item = {"order": 1, "at": note.at, "who": note.author or note.external_author, "note": note}
    item["parts"] = (
        mime.split_quoted(note.text) if kind in (Kind.EMAIL_IN, Kind.EMAIL_OUT) else (note.text, "")
    )
    if kind == Kind.EMAIL_IN:
        item.update(kind="client", label="Mensagem do cliente", quotable=str(note.pk))
        item["html_email"] = html.get(note.external_id)
        item["images"] = images.get(note.external_id, [])
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
