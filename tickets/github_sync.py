"""T7: tickets and GitHub: open a ticket's issue (claimed once, retried by a django-q2 timer
while GitHub is down), apply the webhook's events to the tickets, and the development board.

The REST calls themselves are in `tickets.github`.
"""

import datetime as dt
import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from workflows import clock, timers
from workflows.engine import require
from workflows.refusals import TransitionRefused

from .conf import get as from_conf
from .desk import ticket_act, ticket_note_add
from .models import GithubDelivery, Ticket, TicketNote, TicketNoteRevision

log = logging.getLogger(__name__)

GITHUB_RETRY_KEY = "github_retry"
GITHUB_RETRY_HANDLER = "tickets.github_sync.github_retry"


class GithubQueued(Exception):
    """GitHub is unavailable: the ticket is unchanged and a timer will retry."""

    def __init__(self, ticket, error, retry_at):
        super().__init__(str(error))
        self.ticket, self.error, self.retry_at = ticket, error, retry_at


def _issue_text(ticket: Ticket) -> tuple[str, str]:
    client = ticket.ficha.name if ticket.ficha_id else ticket.requester
    title = f"{ticket.tag} {ticket.subject}"
    body = (
        f"Chamado do G3stor {ticket.tag} (prioridade {ticket.priority}).\n\n"
        f"Cliente: {client or '—'}\nCanal: {ticket.get_channel_display()}\n\n"
        f"{ticket.description}\n\n{_issue_marker(ticket)}"
    )
    return title, body


def _issue_marker(ticket: Ticket) -> str:
    """Hidden in the issue's body (an HTML comment): a retry looks for it first."""
    return f"<!-- balcao-chamado-{ticket.pk} -->"


def _retry_delay_minutes(attempts: int) -> int:
    return min(2 ** max(attempts - 1, 0), 60)


def ticket_open_on_github(ticket: Ticket, *, actor, reason: str = "") -> Ticket:
    """T7: create the issue, keep its link and move the ticket to em desenvolvimento.

    GitHub down or rate-limited: the ticket keeps its state, is flagged pending and a
    django-q2 timer retries (exponential backoff up to an hour); raises `GithubQueued`.
    A refusal (bad token, unknown repository) raises `TransitionRefused`; nothing is written.
    """
    require(ticket, "develop", actor=actor, skip=("has_issue",))  # the issue is made here
    if ticket.github_issue_number:
        raise TransitionRefused("Este chamado já tem issue no GitHub.", "T7")
    # Claim the creation first (compare-and-set): a double click never opens two issues.
    claimed = Ticket.objects.filter(
        pk=ticket.pk, github_issue_number__isnull=True, github_pending=False
    ).update(github_pending=True)
    if not claimed:
        raise TransitionRefused("A issue deste chamado já está sendo criada no GitHub.", "T7")
    ticket.refresh_from_db()
    return _create_issue(ticket, actor=actor, reason=reason)


def _create_issue(ticket: Ticket, *, actor, reason: str) -> Ticket:
    from . import github

    title, body = _issue_text(ticket)
    reason = (reason or "").strip() or "Precisa de desenvolvimento: aberto no GitHub."
    try:
        # A retry may follow a lost response: GitHub may have created the issue then.
        found = github.find_issue(_issue_marker(ticket)) if ticket.github_attempts else None
        issue = found or github.create_issue(title, body)
    except github.GitHubUnavailable as error:
        attempts = ticket.github_attempts + 1
        retry_at = clock.now() + dt.timedelta(minutes=_retry_delay_minutes(attempts))
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(
                github_pending=True,
                github_error=str(error)[:300],
                github_attempts=attempts,
            )
            ticket.refresh_from_db()
            timers.arm(ticket, GITHUB_RETRY_KEY, retry_at, GITHUB_RETRY_HANDLER)
            if attempts == 1:
                ticket_note_add(
                    ticket,
                    kind=TicketNote.Kind.GITHUB,
                    author=actor,
                    text=f"GitHub indisponível ({error}); nova tentativa automática. {reason}",
                )
        log.warning("GitHub unavailable for ticket %s: %s", ticket.pk, error)
        raise GithubQueued(ticket, error, retry_at) from None
    except github.GitHubError as error:
        # Retrying will not help: release the claim so support can fix and click again.
        Ticket.objects.filter(pk=ticket.pk).update(github_pending=False)
        if ticket.github_attempts:  # a timer retry: say why on the ticket
            Ticket.objects.filter(pk=ticket.pk).update(github_error=str(error)[:300])
            ticket_note_add(
                ticket, kind=TicketNote.Kind.GITHUB, text=f"O GitHub recusou a issue: {error}."
            )
        raise TransitionRefused(f"O GitHub recusou a issue: {error}.", "T7") from None
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(
            github_issue_number=issue["number"],
            github_issue_url=issue["html_url"],
            github_issue_state=issue["state"],
            github_pending=False,
            github_error="",
        )
        ticket.refresh_from_db()
        timers.disarm(ticket, GITHUB_RETRY_KEY)
    # The link is kept even if the ticket moved meanwhile (e.g. waiting for the client).
    try:
        ticket = ticket_act(ticket, "develop", actor=actor, reason=reason)
    except TransitionRefused as refused:
        ticket_note_add(
            ticket,
            kind=TicketNote.Kind.GITHUB,
            author=actor,
            text=f"Issue #{issue['number']} criada no GitHub; o chamado não mudou: {refused}",
        )
    return ticket


def github_retry(ticket: Ticket) -> None:
    """T7 timer: retry a pending issue creation (system actor); re-queues itself if still down."""
    if ticket.github_issue_number or not ticket.github_pending or not ticket.is_active:
        return
    try:
        _create_issue(ticket, actor=None, reason="Issue criada no GitHub (nova tentativa).")
    except GithubQueued:
        pass  # still down: _create_issue armed the next retry
    except TransitionRefused as refused:  # kept (not raised) so the release is committed
        log.warning("GitHub refused the issue of ticket %s: %s", ticket.pk, refused)


def github_event_handle(delivery_id: str, event: str, payload) -> str:
    """T7: apply one verified webhook delivery once; returns what happened (for the log).

    `issues` closed/reopened moves the ticket (system events), transferred/deleted leaves a
    note and marks its link; `issue_comment` created/edited/deleted adds, updates or marks
    deleted the comment's note. A payload of the wrong shape raises `github.BadPayload`
    before anything is written. Applied once: the same delivery id (compared whole) or the
    same change under another delivery id is a replay.
    """
    from .github import parse_event

    parsed = parse_event(event, payload)  # BadPayload: nothing written
    action = parsed["action"] if parsed else str(payload.get("action", ""))
    keys = {"delivery_hash": _sha(delivery_id)}
    if parsed:
        keys["event_key"] = event_key(event, parsed)
    seen = Q(delivery_hash=keys["delivery_hash"])
    if "event_key" in keys:
        seen |= Q(event_key=keys["event_key"])
    with transaction.atomic():
        if GithubDelivery.objects.filter(seen).exists():
            return "replay"
        try:
            with transaction.atomic():
                delivery = GithubDelivery.objects.create(
                    delivery_id=delivery_id[:255], event=event[:40], action=action[:40], **keys
                )
        except IntegrityError:  # the same change recorded concurrently: it won
            return "replay"
        outcome, ticket = _apply_github_event(event, parsed)
        delivery.outcome, delivery.ticket = outcome[:200], ticket
        delivery.save(update_fields=["outcome", "ticket"])
    return outcome


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def event_key(event: str, parsed: dict) -> str:
    """What a delivery changes: event, repository, issue, action, comment id, and the issue's
    update time (so closing an issue again after reopening it is a new change, while the same
    body sent again is not); an edited comment adds the comment's update time (each edit is
    a change of its own)."""
    parts = (
        event,
        parsed["repository"].lower(),
        parsed["number"],
        parsed["action"],
        parsed["comment_id"] or "",
        parsed["updated_at"],
    )
    if event == "issue_comment" and parsed["action"] == "edited":
        parts += (parsed["comment_updated_at"],)
    return _sha(json.dumps(parts))


def linked_ticket(repository: str, number: int) -> Ticket | None:
    """T7: the ticket linked to issue `number` of `repository` ("owner/name"): by the number
    and the stored issue URL, never by the number alone (another repository has the same
    numbers, e.g. after GITHUB_REPOSITORY changed)."""
    return (
        Ticket.objects.filter(
            github_issue_number=number,
            github_issue_url__iendswith=f"/{repository.strip('/')}/issues/{number}",
        )
        .order_by("pk")
        .first()
    )


def _apply_github_event(event, parsed):
    if parsed is None:
        return f"ignored event {event}", None
    repo, action = parsed["repository"], parsed["action"]
    if parsed["pull_request"]:  # T7: a pull request is never a ticket's issue
        return f"ignored pull request {action}", None
    ticket = linked_ticket(repo, parsed["number"])
    if ticket is None:
        if repo.lower() != from_conf("GITHUB_REPOSITORY").lower():
            return f"ignored repository {repo}", None
        return "no ticket for this issue", None
    if event == "issue_comment":
        return _apply_comment(ticket, parsed), ticket
    if action in ("transferred", "deleted"):
        return _issue_gone(ticket, parsed), ticket
    if action not in ("closed", "reopened"):
        return f"ignored issue {action}", ticket
    if ticket.github_issue_state == "deleted":
        return f"ignored issue {action}: issue deleted", ticket
    return _issue_closed_or_reopened(ticket, parsed)


def _issue_closed_or_reopened(ticket, parsed):
    action, who = parsed["action"], parsed["sender"]
    state = parsed["state"] or ("closed" if action == "closed" else "open")
    Ticket.objects.filter(pk=ticket.pk).update(github_issue_state=state[:20])
    ticket.refresh_from_db()
    event_name = "dev_finished" if action == "closed" else "dev_reopened"
    verb = "fechada" if action == "closed" else "reaberta"
    reason = f"Issue #{ticket.github_issue_number} {verb} no GitHub por @{who[:100]}."
    try:
        ticket_act(ticket, event_name, actor=None, reason=reason)
    except TransitionRefused:
        ticket_note_add(
            ticket,
            kind=TicketNote.Kind.GITHUB,
            text=f"{reason} O chamado estava “{ticket.state_label}” e não mudou.",
        )
        return f"issue {action}; ticket kept {ticket.state}", ticket
    return f"issue {action}; ticket moved", ticket


def _issue_gone(ticket: Ticket, parsed: dict) -> str:
    """T7: an issue transferred to another repository (the link follows it: its later events
    come from there) or deleted on GitHub: a note and the link's state; the ticket's own
    state does not change (support decides what follows)."""
    old = f"{ticket.github_repository or parsed['repository']}#{ticket.github_issue_number}"
    who = f"@{parsed['sender'][:100]}"
    if parsed["action"] == "deleted":
        fields = {"github_issue_state": "deleted"}
        text = (
            f"Issue {old} apagada no GitHub por {who}. O chamado continua "
            f"“{ticket.state_label}”; o vínculo com o GitHub fica só como registro."
        )
    else:
        new_repo, number = parsed["new_repository"][:100], parsed["new_number"]
        fields = {
            "github_issue_moved_from": old[:200],
            "github_issue_number": number,
            "github_issue_url": parsed["new_url"],
            "github_issue_state": parsed["new_state"][:20] or "open",
        }
        text = (
            f"Issue {old} transferida no GitHub por {who} para {new_repo}#{number}. "
            f"O chamado continua “{ticket.state_label}” e segue a nova issue."
        )
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket_note_add(ticket, kind=TicketNote.Kind.GITHUB, text=text)
    return f"issue {parsed['action']}; ticket kept {ticket.state}"


def _apply_comment(ticket: Ticket, parsed: dict) -> str:
    """T7: a comment created, edited or deleted on the ticket's issue. Its note is found by
    the comment id; an edit keeps the text it replaces, a deletion keeps the last text (both
    as `TicketNoteRevision`) and the note shows "Comentário apagado no GitHub"."""
    action, comment_id = parsed["action"], str(parsed["comment_id"])
    if action not in ("created", "edited", "deleted"):
        return f"ignored comment {action}"
    note = (
        TicketNote.objects.select_for_update()
        .filter(ticket=ticket, kind=TicketNote.Kind.GITHUB_COMMENT, external_id=comment_id)
        .order_by("pk")
        .first()
    )
    body, who = parsed["comment_body"][:10000], f"@{parsed['sender']}"[:160]
    if note is None:
        if action == "deleted":
            return "no note for this comment"
        # created, or an edit of a comment whose creation never reached us: shown as it is now
        note = ticket_note_add(
            ticket,
            kind=TicketNote.Kind.GITHUB_COMMENT,
            text=body,
            external_author=f"@{parsed['comment_author']}"[:160],
            external_id=comment_id,
        )
        if action == "edited":
            note.edited_at = _github_time(parsed["comment_updated_at"])
            note.save(update_fields=["edited_at"])
        return "comment added"
    if action == "created":
        return "comment already recorded"  # its edit arrived first
    now = clock.now()
    if action == "deleted":
        if note.deleted_at:
            return "comment already deleted"
        TicketNoteRevision.objects.create(
            note=note, change=TicketNoteRevision.Change.DELETED, text=note.text, at=now, by=who
        )
        note.text, note.deleted_at = TicketNote.DELETED_TEXT, now
        note.save(update_fields=["text", "deleted_at"])
        return "comment deleted"
    edited_at = _github_time(parsed["comment_updated_at"])
    stale = note.deleted_at or (note.edited_at and edited_at <= note.edited_at)
    if body == note.text and not stale:
        return "comment unchanged"
    change = TicketNoteRevision.Change.EDITED
    if stale:  # an older edit arriving late (or after the deletion): history only
        TicketNoteRevision.objects.create(note=note, change=change, text=body, at=edited_at, by=who)
        return "comment edit kept in history"
    TicketNoteRevision.objects.create(
        note=note, change=change, text=note.text, at=edited_at, by=who
    )
    note.text, note.edited_at = body, edited_at
    note.save(update_fields=["text", "edited_at"])
    return "comment edited"


def _github_time(value: str) -> dt.datetime:
    """An ISO 8601 time from GitHub ("2019-05-15T15:20:22Z"); now if absent or unreadable."""
    try:
        when = dt.datetime.fromisoformat(value)
        return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (TypeError, ValueError, OverflowError):  # e.g. year 1 at +14:00
        return clock.now()


def github_board():
    """T7: tickets linked to GitHub (or waiting for their issue), newest activity first."""
    return (
        Ticket.objects.filter(Q(github_issue_number__isnull=False) | Q(github_pending=True))
        .select_related("assignee", "ficha")
        .order_by("github_issue_state", "-created_at", "-pk")
    )
