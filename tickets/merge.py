"""T4: merging two tickets about one problem ("Mesclar chamados"): the thread of the merged
ticket moves to the ticket kept, which the client's later messages reach too; the merged one
is closed as `mesclado`, pointing to the kept one. Nothing is deleted.

What moves to the kept ticket: the client's e-mails (with their files and original HTML), the
replies and internal notes with their files, GitHub comments with their earlier texts, the
GitHub link (`github_issue_*`), the client's first message (the merged ticket's description,
as a message of the kept thread), the ficha and contact when the kept ticket has none,
"possível resposta" tickets still waiting to be linked, and tickets merged earlier into the
merged one. What stays: its audit history (who moved it, when and why), its SLA alerts and
webhook deliveries (facts about it), and the merge note saying where everything went.

Readings (the rulebook is silent):
- Kept by default: the older ticket (`default_kept`); a concluded ticket is not kept (reopen it
  first), a merged one never.
- Different fichas are refused (T1: a client's conversation never goes to another client's
  ticket); two contacts of one ficha, or a ticket without ficha, merge with a warning.
- Both linked to different GitHub issues: refused (T7: an issue follows one ticket); an issue
  creation still pending on either: refused until the retry settles it.
- The client of the merged ticket may still write to its thread: the mailbox follows
  `merged_into` and trusts the senders of the tickets merged into the kept one (T1).
"""

from dataclasses import dataclass, field

from django.db import transaction

from workflows import clock
from workflows import indicators_rollup as rollup
from workflows.refusals import INPUT, TransitionRefused
from workflows.validators import is_placeholder

from . import desk
from .indicators_backlog import BACKLOG
from .mail_trust import sender_trusted
from .models import EmailAttachment, InboundEmail, Ticket, TicketNote, TicketNoteAttachment
from .statemachines import TicketFlow

EVENT = "merge"
MAX_HOPS = 10  # merged_into is re-pointed on each merge: one hop in practice
GITHUB_FIELDS = (
    "github_issue_url",
    "github_issue_number",
    "github_issue_state",
    "github_issue_moved_from",
)
REPLY_KINDS = (TicketNote.Kind.EMAIL_OUT, TicketNote.Kind.CLIENT_UPDATE)
GITHUB_KINDS = (TicketNote.Kind.GITHUB_COMMENT, TicketNote.Kind.GITHUB)


# --- Reads --------------------------------------------------------------------------------------


def locked_pair(*pks: int) -> dict[int, Ticket]:
    """T4: the tickets locked in pk order, so two merges of the same pair (in either
    direction) queue on the first row instead of deadlocking."""
    rows = Ticket.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {t.pk: t for t in rows}


def kept_ticket(ticket: Ticket | None) -> Ticket | None:
    """The ticket a merged ticket's thread lives in now (the ticket itself when not merged)."""
    for _ in range(MAX_HOPS):
        if ticket is None or not ticket.merged_into_id:
            return ticket
        ticket = Ticket.objects.select_related("ficha").get(pk=ticket.merged_into_id)
    return ticket


def merged_into_trusts(ticket: Ticket, sender: str) -> bool:
    """T1: the client of a ticket merged into `ticket` still speaks for its thread."""
    merged = ticket.merged_from.select_related("ficha")
    return any(sender_trusted(t, sender) for t in merged)


def default_kept(one: Ticket, other: Ticket) -> Ticket:
    """The ticket kept unless support chooses: the older one."""
    return min(one, other, key=lambda t: (t.created_at, t.pk))


def find_ticket(typed: str) -> Ticket | None:
    """A ticket by its number as support types it: "123", "#123", "[#123]"."""
    digits = (typed or "").strip().strip("[]").lstrip("#").strip()
    if not digits.isdigit() or len(digits) > 18:
        return None
    return Ticket.objects.select_related("ficha").filter(pk=int(digits)).first()


def candidates(ticket: Ticket, limit: int = 10):
    """The same client's other open tickets (by ficha, else by contact e-mail), newest first."""
    if ticket.ficha_id:
        same = Ticket.objects.filter(ficha_id=ticket.ficha_id)
    elif ticket.requester_email:
        same = Ticket.objects.filter(requester_email__iexact=ticket.requester_email)
    else:
        return Ticket.objects.none()
    same = same.filter(state__in=Ticket.ACTIVE).exclude(pk=ticket.pk)
    return same.order_by("-created_at", "-pk")[:limit]


@dataclass
class Summary:
    """What a merge moves from `source` to `target`, counted (the confirmation page)."""

    source: Ticket
    target: Ticket
    emails: int = 0
    replies: int = 0
    internal: int = 0
    github_comments: int = 0
    files: int = 0
    github_issue: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def parts(self) -> list[str]:
        """ "3 e-mails", "2 respostas", "1 nota interna", "vínculo com o GitHub #45"…"""
        counted = (
            (self.emails, "e-mail", "e-mails"),
            (self.replies, "resposta", "respostas"),
            (self.internal, "nota interna", "notas internas"),
            (self.github_comments, "registro do GitHub", "registros do GitHub"),
            (self.files, "anexo", "anexos"),
        )
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counted if n]
        if self.github_issue:
            parts.append(f"vínculo com o GitHub #{self.github_issue}")
        return parts

    @property
    def text(self) -> str:
        """All of it in one sentence: "3 e-mails, 2 respostas e 1 nota interna"."""
        parts = self.parts if self.emails else ["o pedido inicial do cliente", *self.parts]
        return ", ".join(parts[:-1]) + f" e {parts[-1]}" if len(parts) > 1 else parts[0]


def summary(source: Ticket, target: Ticket) -> Summary:
    """T4: exactly what merging `source` into `target` moves, and what to be aware of."""
    notes = source.notes.all()
    found = Summary(
        source=source,
        target=target,
        emails=source.emails.count(),
        replies=notes.filter(kind__in=REPLY_KINDS).count(),
        internal=notes.filter(kind=TicketNote.Kind.INTERNAL).count(),
        github_comments=notes.filter(kind__in=GITHUB_KINDS).count(),
        files=source.attachments.count()
        + TicketNoteAttachment.objects.filter(note__ticket=source).count(),
        github_issue=source.github_issue_number
        if source.github_issue_url and source.github_issue_url != target.github_issue_url
        else None,
    )
    mine = (source.requester_email or "").strip().lower()
    theirs = (target.requester_email or "").strip().lower()
    if mine and theirs and mine != theirs:
        found.warnings.append(
            f"Os contatos são diferentes: as respostas do chamado {target.tag} vão para "
            f"{target.requester_email}; mensagens de {source.requester_email} continuam "
            "chegando ao chamado que fica."
        )
    if source.ficha_id and not target.ficha_id:
        found.warnings.append(
            f"O chamado {target.tag} não tem ficha: passa a ser da ficha {source.ficha}."
        )
    return found


def refusal(source: Ticket, target: Ticket | None, *, actor) -> TransitionRefused | None:
    """What the machine says about merging `source` into `target` now (None: it may)."""
    decision = TicketFlow.decide(source, EVENT, actor=actor, into=target)
    if decision:
        return None
    return TransitionRefused.from_decision(decision)


def proposed(ticket: Ticket, other: Ticket, *, actor) -> tuple[Ticket, Ticket]:
    """(merged, kept) for merging `ticket` and `other`: the older one is kept, unless the
    machine refuses that way and allows the other (e.g. the older one is concluded). Refused
    both ways: the refusal of the default way, about the other ticket's `number` field."""
    kept = default_kept(ticket, other)
    merged = other if kept is ticket else ticket
    refused = refusal(merged, kept, actor=actor)
    if refused is None:
        return merged, kept
    if refusal(kept, merged, actor=actor) is None:
        return kept, merged
    raise refused.on("number") if refused.kind == INPUT else refused


# --- Write --------------------------------------------------------------------------------------


def ticket_merge(source: Ticket, target: Ticket, *, actor, reason: str) -> Ticket:
    """T4: merge `source` into `target` in one transaction, both rows locked in pk order; the
    machine's `merge` (role, state, the guards about `target`) decides on the locked rows, so
    of two merges in opposite directions only the first wins. Returns the kept ticket."""
    reason = (reason or "").strip()
    if is_placeholder(reason):
        raise TransitionRefused(
            "Escreva por que os chamados são um só (o motivo fica nos dois chamados).",
            "T4",
            kind=INPUT,
            field="reason",
        )
    with transaction.atomic():
        rows = locked_pair(source.pk, *([target.pk] if target is not None else []))
        source, target = rows[source.pk], rows.get(target.pk) if target is not None else None
        refused = refusal(source, target, actor=actor)
        if refused is not None:
            raise refused
        moved = summary(source, target)
        who = actor.get_full_name() or actor.username
        note = f"Chamado #{source.pk} mesclado em #{target.pk} por {who}: {reason}"
        source = desk.ticket_act(source, EVENT, actor=actor, reason=note, into=target)
        _move_thread(source, target)
        _move_links(source, target)
        # The merged ticket leaves the backlog of every day it was open: those kept days of
        # Indicadores are counted again (indicators_backlog, workflows.indicators_rollup).
        rollup.forget_series(BACKLOG, since=clock.localdate(source.created_at))
        text = f"{note}\nVeio do #{source.pk} para o #{target.pk}: {moved.text}."
        text = "\n".join([text, *moved.warnings])
        desk.ticket_note_add(target, kind=TicketNote.Kind.INTERNAL, author=actor, text=text)
        desk.ticket_note_add(source, kind=TicketNote.Kind.INTERNAL, author=actor, text=text)
    return target


def _move_thread(source: Ticket, target: Ticket) -> None:
    """The client's first message, e-mails, files and notes (their files and earlier texts
    follow their note) go to the kept ticket."""
    from .conversation import requester_label  # it imports the mailbox, which imports this

    first = source.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET).order_by("pk").first()
    label = "E-mail" if source.channel == Ticket.Channel.EMAIL else source.get_channel_display()
    opening = TicketNote(
        ticket=target,
        at=source.created_at,
        kind=TicketNote.Kind.EMAIL_IN if first else TicketNote.Kind.INTERNAL,
        external_author=requester_label(source)[:160] if first else "",
        external_id=first.message_id[:200] if first else "",
        text=source.description
        if first
        else f"Pedido do cliente no chamado #{source.pk} ({label}):\n{source.description}",
    )
    TicketNote.objects.bulk_create([opening])
    TicketNote.objects.filter(ticket=source).update(ticket=target)
    EmailAttachment.objects.filter(ticket=source).update(ticket=target)
    # On the kept ticket the e-mail that opened the other one is a message of its thread.
    source.emails.filter(outcome=InboundEmail.Outcome.NEW_TICKET).update(
        outcome=InboundEmail.Outcome.REPLY
    )
    source.emails.update(ticket=target)


def _move_links(source: Ticket, target: Ticket) -> None:
    """The GitHub link, the client when the kept ticket has none, the tickets pointing at the
    merged one (earlier merges, "possível resposta" still to link)."""
    changed = []
    if source.github_issue_url and not target.github_issue_url:
        for name in GITHUB_FIELDS:
            setattr(target, name, getattr(source, name))
        changed += GITHUB_FIELDS
    if source.needs_development and not target.needs_development:
        target.needs_development = True
        changed.append("needs_development")
    for name in ("ficha", "requester", "requester_email"):
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
            changed.append(name)
    if changed:
        target.save(update_fields=changed)
    if source.github_issue_url:  # T7: the webhook finds the issue's ticket by its link
        Ticket.objects.filter(pk=source.pk).update(
            github_issue_url="",
            github_issue_number=None,
            github_issue_state="",
            github_issue_moved_from="",
        )
    Ticket.objects.filter(merged_into=source).update(merged_into=target)
    waiting = Ticket.objects.filter(suspected_reply_to=source, emails__isnull=False)
    Ticket.objects.filter(pk__in=waiting.values("pk")).update(suspected_reply_to=target)
