"""T7: GitHub's own payload shapes (tests/tickets_support/github_payloads/) posted through the
real webhook with a valid signature: comments created, edited and deleted; pull-request
comments; tickets found by repository and issue number; issues transferred or deleted."""

import datetime as dt
import json
import pathlib
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_tickets_github import WEBHOOK, linked_ticket
from tests.tickets_support.fake_github import signature
from tests.tickets_support.helpers import new_ticket
from tickets import desk
from tickets.models import GithubDelivery, Ticket, TicketNote
from workflows.models import AuditEntry
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db
PAYLOADS = pathlib.Path(__file__).parent / "tickets_support" / "github_payloads"
FIRST = "o PDF passa de 200 páginas"  # only in the comment's first text
EDITED = "Correção no PR #77"  # only in its edited text


def payload(name, repo="webplanet/g3stor", number=42):
    """A stored payload with only the repository and the issue number changed."""
    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    old_repo, old_number = data["repository"]["full_name"], data["issue"]["number"]
    data["repository"]["full_name"] = repo
    issue = data["issue"]
    issue["number"] = number
    for key in ("url", "html_url", "repository_url", "comments_url"):
        issue[key] = issue[key].replace(old_repo, repo).replace(f"/{old_number}", f"/{number}")
    return data


def post(data, event, delivery=None):
    raw = json.dumps(data).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature(raw),
    }
    return Client().post(WEBHOOK, raw, content_type="application/json", headers=headers)


def deliver(name, event=None, **adapt):
    event = event or name.split(".")[0]
    response = post(payload(name, **adapt), event)
    assert response.status_code == 200, response.content
    return response.content.decode()


@pytest.fixture
def support(make_user, clock):
    return make_user(SUPPORT, first_name="Carla")


@pytest.fixture
def ticket(fake_github, support):
    return linked_ticket(support)


def comment_notes(ticket):
    return list(TicketNote.objects.filter(ticket=ticket, kind=TicketNote.Kind.GITHUB_COMMENT))


def page_of(ticket, user):
    client = Client()
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()


def test_T7_an_edited_comment_updates_its_note_and_keeps_the_text_it_replaced(ticket, support):
    assert deliver("issue_comment.created") == "comment added"
    [note] = comment_notes(ticket)
    assert (note.github_comment_id, note.external_author, note.edited_at) == (
        900001,
        "@dev-joao",
        None,
    )
    assert FIRST in note.text

    assert deliver("issue_comment.edited") == "comment edited"
    [note] = comment_notes(ticket)
    assert EDITED in note.text and FIRST not in note.text
    assert note.edited_at == dt.datetime(2026, 12, 1, 10, 42, tzinfo=dt.UTC)
    [before] = note.revisions.all()
    assert (before.change, before.by) == ("edited", "@dev-joao")
    assert FIRST in before.text
    page = page_of(ticket, support)
    before_fold, fold = page.split("Versões anteriores", 1)  # the old text only in its fold
    earlier, after_fold = fold.split("</details>", 1)
    live = before_fold + after_fold
    assert EDITED in live and FIRST not in live and "editado no GitHub em" in live
    assert FIRST in earlier

    # The same edit again (GitHub redelivers under a new id) changes nothing.
    assert deliver("issue_comment.edited") == "replay"
    # A later edit is a change of its own, and keeps the text before it too.
    later = payload("issue_comment.edited")
    later["comment"].update(body="Corrigido na versão 4.2.", updated_at="2026-12-01T11:00:00Z")
    assert post(later, "issue_comment").content == b"comment edited"
    note.refresh_from_db()
    assert note.text == "Corrigido na versão 4.2."
    assert [EDITED in r.text for r in note.revisions.all()] == [False, True]


def test_T7_a_deleted_comment_is_shown_deleted_and_its_text_kept_for_the_audit(ticket, support):
    deliver("issue_comment.created")
    deliver("issue_comment.edited")
    assert deliver("issue_comment.deleted") == "comment deleted"
    [note] = comment_notes(ticket)
    assert note.text == "Comentário apagado no GitHub." and note.deleted_at is not None
    deleted = note.revisions.last()
    assert deleted.change == "deleted" and EDITED in deleted.text
    page = page_of(ticket, support)
    assert "Comentário apagado no GitHub" in page
    assert EDITED not in page and FIRST not in page

    assert deliver("issue_comment.deleted") == "replay"
    late_edit = payload("issue_comment.edited")
    late_edit["comment"]["updated_at"] = "2026-12-01T10:50:00Z"  # sent before, arrived after
    assert post(late_edit, "issue_comment").content == b"comment edit kept in history"
    note.refresh_from_db()
    assert note.text == "Comentário apagado no GitHub."


@pytest.mark.parametrize("when", ["ontem", "0001-01-01T00:00:00+14:00", "", "2026-13-01T00:00Z"])
def test_T7_an_unreadable_edit_time_counts_as_now_never_a_500(ticket, clock, when):
    deliver("issue_comment.created")
    edit = payload("issue_comment.edited")
    edit["comment"]["updated_at"] = when
    assert post(edit, "issue_comment").content == b"comment edited"
    assert comment_notes(ticket)[0].edited_at == clock.now()


def test_T7_an_edit_that_arrives_before_its_creation_adds_the_comment_once(ticket):
    assert deliver("issue_comment.edited") == "comment added"
    assert deliver("issue_comment.created") == "comment already recorded"
    [note] = comment_notes(ticket)
    assert EDITED in note.text and note.edited_at is not None


def test_T7_deleting_a_comment_never_seen_writes_nothing(ticket):
    assert deliver("issue_comment.deleted") == "no note for this comment"
    assert comment_notes(ticket) == []


def test_T7_a_pull_request_comment_never_lands_on_a_ticket(ticket):
    # The pull request has the linked issue's number, in the same repository.
    assert deliver("issue_comment.pull_request") == "ignored pull request created"
    assert comment_notes(ticket) == []
    assert GithubDelivery.objects.get().ticket is None


def test_T7_tickets_are_matched_by_repository_and_number_never_by_number_alone(
    ticket, support, settings
):
    settings.GITHUB_REPOSITORY = "webplanet/g3stor-novo"  # the project moved repository
    new_repo = {"repo": "webplanet/g3stor-novo"}
    assert deliver("issues.closed", **new_repo) == "no ticket for this issue"
    assert deliver("issue_comment.created", **new_repo) == "no ticket for this issue"
    assert deliver("issues.closed", repo="outra/coisa") == "ignored repository outra/coisa"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_desenvolvimento", "open")
    assert comment_notes(ticket) == []

    newer = new_ticket(support, subject="Da issue nova")
    Ticket.objects.filter(pk=newer.pk).update(
        github_issue_number=42,
        github_issue_url="https://github.com/webplanet/g3stor-novo/issues/42",
        github_issue_state="open",
    )
    another = payload("issue_comment.created", **new_repo)
    another["comment"]["id"] = 900002
    assert post(another, "issue_comment").content == b"comment added"
    assert len(comment_notes(newer)) == 1 and comment_notes(ticket) == []
    # The old repository's issue still flows back to the ticket linked to it.
    assert deliver("issues.closed") == "issue closed; ticket moved"
    assert Ticket.objects.get(pk=ticket.pk).state == "em_analise"


def test_T7_closed_and_reopened_payloads_move_the_ticket(ticket, support):
    assert deliver("issues.closed") == "issue closed; ticket moved"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_analise", "closed")
    assert ticket.github_issue_state_label == "fechada"
    assert deliver("issues.reopened") == "issue reopened; ticket moved"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_desenvolvimento", "open")


def test_T7_a_transferred_issue_leaves_a_note_and_the_ticket_follows_the_new_issue(ticket, support):
    before = AuditEntry.for_object(ticket).count()
    assert deliver("issues.transferred") == "issue transferred; ticket kept em_desenvolvimento"
    ticket.refresh_from_db()
    assert ticket.state == "em_desenvolvimento"
    assert AuditEntry.for_object(ticket).count() == before
    assert (ticket.github_issue_number, ticket.github_issue_url) == (
        7,
        "https://github.com/exemplo-org/exemplo-novo/issues/7",
    )
    assert ticket.github_issue_moved_from == "webplanet/g3stor#42"
    assert ticket.github_issue_state_label == (
        "aberta · transferida de webplanet/g3stor#42 para exemplo-org/exemplo-novo"
    )
    note = TicketNote.objects.get(ticket=ticket, kind=TicketNote.Kind.GITHUB)
    assert "transferida" in note.text and "exemplo-org/exemplo-novo#7" in note.text
    assert "transferida no GitHub" in page_of(ticket, support)

    # Events of the old address find nothing; the new issue's flow back to the ticket.
    assert deliver("issues.closed") == "no ticket for this issue"
    closed = deliver("issues.closed", repo="exemplo-org/exemplo-novo", number=7)
    assert closed == "issue closed; ticket moved"
    assert Ticket.objects.get(pk=ticket.pk).state == "em_analise"


def test_T7_a_deleted_issue_leaves_a_note_and_marks_the_link_without_moving_the_ticket(
    ticket, support
):
    assert deliver("issues.deleted") == "issue deleted; ticket kept em_desenvolvimento"
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_desenvolvimento", "deleted")
    assert ticket.github_issue_state_label == "apagada no GitHub"
    note = TicketNote.objects.get(ticket=ticket, kind=TicketNote.Kind.GITHUB)
    assert "webplanet/g3stor#42 apagada no GitHub por @dev-joao" in note.text
    assert "apagada no GitHub" in page_of(ticket, support)
    assert deliver("issues.reopened") == "ignored issue reopened: issue deleted"
    # The ticket's own workflow goes on.
    desk.ticket_act(ticket, "conclude", actor=support, reason="resolvido sem a issue")
    assert Ticket.objects.get(pk=ticket.pk).state == "concluido"


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("issues.transferred", lambda p: p.pop("changes")),
        ("issues.transferred", lambda p: p["changes"]["new_issue"].update(number="7")),
        ("issues.transferred", lambda p: p["changes"]["new_issue"].update(html_url="javascript:x")),
        ("issues.transferred", lambda p: p["changes"].update(new_repository={})),
        ("issue_comment.pull_request", lambda p: p["issue"].update(pull_request="sim")),
        ("issue_comment.edited", lambda p: p["comment"].update(updated_at=20261201)),
    ],
    ids=["no changes", "new number string", "new link script", "no new repo", "pr string", "time"],
)
def test_T7_wrong_shaped_signed_payloads_are_400_with_no_write(ticket, name, change):
    data = payload(name)
    change(data)
    response = post(data, name.split(".")[0])
    assert response.status_code == 400
    assert not GithubDelivery.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).github_issue_number == 42


def test_T7_unsigned_payloads_change_nothing(ticket):
    raw = json.dumps(payload("issues.deleted")).encode()
    headers = {"X-GitHub-Event": "issues", "X-GitHub-Delivery": str(uuid.uuid4())}
    response = Client().post(WEBHOOK, raw, content_type="application/json", headers=headers)
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).github_issue_state == "open"
