"""T7: the GitHub webhook applies each change once whatever its delivery id, compares delivery
ids whole, and answers 400 (writing nothing) to signed payloads of the wrong shape."""

import json
import uuid

import pytest
from django.test import Client

from tests.test_tickets_github import WEBHOOK, issue_payload, linked_ticket
from tests.tickets_support.fake_github import signature
from tickets.models import GithubDelivery, Ticket, TicketNote
from workflows.models import AuditEntry
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(fake_github, make_user, clock):
    return linked_ticket(make_user(SUPPORT, first_name="Carla"))


def post(body, event="issues", delivery=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature(raw),
    }
    return Client().post(WEBHOOK, raw, content_type="application/json", headers=headers)


def comment(comment_id=9001, text="Corrigido no PR #77", number=42):
    return {
        "action": "created",
        "issue": {"number": number, "state": "open"},
        "comment": {"id": comment_id, "body": text, "user": {"login": "dev-joao"}},
        "repository": {"full_name": "webplanet/g3stor"},
        "sender": {"login": "dev-joao"},
    }


def state_of(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.state,
        ticket.version,
        ticket.github_issue_state,
        ticket.notes.count(),
        AuditEntry.for_object(ticket).count(),
    )


def test_T7_the_same_signed_body_with_a_new_delivery_id_is_not_applied_again(ticket):
    assert post(comment(), event="issue_comment").content == b"comment added"
    again = post(comment(), event="issue_comment")  # new X-GitHub-Delivery
    assert (again.status_code, again.content) == (200, b"replay")
    assert TicketNote.objects.filter(ticket=ticket, kind="github_comment").count() == 1

    closed = issue_payload("closed")
    assert post(closed).content == b"issue closed; ticket moved"
    before = state_of(ticket)
    assert post(closed).content == b"replay"
    assert state_of(ticket) == before
    assert AuditEntry.for_object(ticket).filter(event="dev_finished").count() == 1


def test_T7_closing_again_after_a_reopen_is_a_new_change(ticket):
    def issue(action, when):
        payload = issue_payload(action)
        payload["issue"]["updated_at"] = when
        return payload

    post(issue("closed", "2026-12-01T10:00:00Z"))
    post(issue("reopened", "2026-12-01T11:00:00Z"))
    assert post(issue("closed", "2026-12-01T12:00:00Z")).content == b"issue closed; ticket moved"
    events = AuditEntry.for_object(ticket).values_list("event", flat=True)
    assert list(events).count("dev_finished") == 2


def test_T7_delivery_ids_are_compared_whole(ticket):
    first, second = "a" * 100 + "x" * 50, "a" * 100 + "y" * 50
    assert post(comment(1, "primeiro"), "issue_comment", first).content == b"comment added"
    assert post(comment(2, "segundo"), "issue_comment", second).content == b"comment added"
    assert post(comment(3, "terceiro"), "issue_comment", first).content == b"replay"
    notes = TicketNote.objects.filter(ticket=ticket, kind="github_comment").order_by("pk")
    assert [n.text for n in notes] == ["primeiro", "segundo"]
    assert GithubDelivery.objects.filter(delivery_id=second).exists()  # kept whole


@pytest.mark.parametrize("number", [42.9, 42.0, "42", True, -42, 0, 2**40, None, [42]])
def test_T7_only_whole_issue_numbers_match(ticket, number):
    before = state_of(ticket)
    payload = issue_payload("closed")
    payload["issue"]["number"] = number
    response = post(payload)
    assert response.status_code == 400
    assert "issue.number" in response.content.decode()
    assert state_of(ticket) == before and not GithubDelivery.objects.exists()


def _without(payload, *path):
    *parents, last = path
    target = payload
    for key in parents:
        target = target[key]
    del target[last]
    return payload


WRONG_SHAPES = {
    "list body": lambda: [issue_payload("closed")],
    "string body": lambda: "closed",
    "issue is a list": lambda: {**issue_payload("closed"), "issue": [42]},
    "no issue": lambda: _without(issue_payload("closed"), "issue"),
    "no number": lambda: _without(issue_payload("closed"), "issue", "number"),
    "no action": lambda: _without(issue_payload("closed"), "action"),
    "action is a number": lambda: {**issue_payload("closed"), "action": 1},
    "repository is a string": lambda: {**issue_payload("closed"), "repository": "a/b"},
    "no repository name": lambda: {**issue_payload("closed"), "repository": {}},
    "sender is a list": lambda: {**issue_payload("closed"), "sender": ["dev"]},
    "state is a dict": lambda: {**issue_payload("closed"), "issue": {"number": 42, "state": {}}},
}


@pytest.mark.parametrize("shape", WRONG_SHAPES)
def test_T7_wrong_shaped_signed_issue_payloads_are_400_with_no_write(ticket, shape):
    before = state_of(ticket)
    response = post(WRONG_SHAPES[shape]())
    assert response.status_code == 400
    assert state_of(ticket) == before and not GithubDelivery.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.pop("comment"),
        lambda p: p.update(comment=[1]),
        lambda p: p["comment"].update(id="9001"),
        lambda p: p["comment"].update(id=9001.5),
        lambda p: p["comment"].update(body=["texto"]),
        lambda p: p["comment"].update(user="dev-joao"),
    ],
    ids=["no comment", "comment list", "id string", "id float", "body list", "user string"],
)
def test_T7_wrong_shaped_signed_comment_payloads_are_400_with_no_write(ticket, change):
    payload = comment()
    change(payload)
    before = state_of(ticket)
    assert post(payload, event="issue_comment").status_code == 400
    assert state_of(ticket) == before and not GithubDelivery.objects.exists()


def test_T7_deeply_nested_or_non_utf8_signed_bodies_are_400(ticket):
    assert post(b"[" * 100_000 + b"]" * 100_000).status_code == 400
    assert post(b"\xff\xfe{}").status_code == 400
    assert not GithubDelivery.objects.exists()


def test_T7_other_events_are_recorded_once_and_ignored(ticket):
    delivery = str(uuid.uuid4())
    assert post({"ref": "main"}, event="push", delivery=delivery).content == b"ignored event push"
    assert post({"ref": "main"}, event="push").content == b"ignored event push"  # no event key
    assert post({"ref": "main"}, event="push", delivery=delivery).content == b"replay"
    assert GithubDelivery.objects.count() == 2


def test_T7_each_edit_of_a_comment_is_a_change_of_its_own(ticket):
    def edit(text, when):
        payload = comment(text=text)
        payload["action"] = "edited"
        payload["issue"]["updated_at"] = "2026-12-01T10:00:00Z"  # editing leaves the issue as is
        payload["comment"]["updated_at"] = when
        return payload

    assert post(comment(), event="issue_comment").content == b"comment added"
    first = edit("Corrigido no PR #78", "2026-12-01T10:05:00Z")
    assert post(first, event="issue_comment").content == b"comment edited"
    assert post(first, event="issue_comment").content == b"replay"  # new delivery id
    second = edit("Corrigido no PR #79", "2026-12-01T10:09:00Z")
    assert post(second, event="issue_comment").content == b"comment edited"
    note = TicketNote.objects.get(ticket=ticket, kind="github_comment")
    assert note.text == "Corrigido no PR #79"
    assert [r.text for r in note.revisions.all()] == ["Corrigido no PR #77", "Corrigido no PR #78"]
