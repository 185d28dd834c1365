"""T7: "Abrir no GitHub" against a local GitHub API on 127.0.0.1, retries, and the webhook."""

import datetime as dt
import json
import socket
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from tests.tickets_support.fake_github import WEBHOOK_SECRET, signature
from tests.tickets_support.helpers import new_ticket
from tickets import desk, github_sync
from tickets.models import GithubDelivery, Ticket, TicketNote
from workflows import timers
from workflows.models import AuditEntry, Timer
from workflows.refusals import TransitionRefused
from workflows.roles import SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db
WEBHOOK = "/suporte/github/webhook/"


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, first_name="Carla")


@pytest.fixture
def ticket(support, clock):
    return new_ticket(support, subject="Relatório trava ao exportar")


def test_T7_open_on_github_creates_the_issue_keeps_the_link_and_moves_to_development(
    fake_github, ticket, support
):
    github_sync.ticket_open_on_github(ticket, actor=support, reason="bug no exportador de PDF")

    [request] = fake_github.requests
    assert request["path"] == "/repos/webplanet/g3stor/issues"
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["json"]["title"] == f"[#{ticket.pk}] Relatório trava ao exportar"
    assert "intimações de SP pararam" in request["json"]["body"]
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_number, ticket.github_issue_state) == (
        "em_desenvolvimento",
        42,
        "open",
    )
    assert ticket.github_issue_url == "https://github.com/webplanet/g3stor/issues/42"
    entry = AuditEntry.for_object(ticket).get()
    assert (entry.event, entry.actor, entry.reason) == (
        "develop",
        support,
        "bug no exportador de PDF",
    )
    assert entry.rule_ids == ["T4", "T7"]
    with pytest.raises(TransitionRefused):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="de novo")
    assert len(fake_github.requests) == 1


@pytest.mark.parametrize("mode", ["down", "rate_limited"])
def test_T7_github_down_or_rate_limited_keeps_the_ticket_and_a_timer_retries(
    fake_github, ticket, support, clock, mode
):
    fake_github.mode = mode
    with pytest.raises(github_sync.GithubQueued):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="precisa de correção")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_number, ticket.github_pending) == (
        "aberto",
        None,
        True,
    )
    assert not AuditEntry.for_object(ticket).exists()
    retry = Timer.for_object(ticket).get(key="github_retry")
    assert retry.due_at == clock.now() + dt.timedelta(minutes=1)

    # Still down at the first retry: backs off (2 minutes), still consistent.
    clock.advance(dt.timedelta(minutes=1))
    assert timers.sweep() == 1
    retry.refresh_from_db()
    assert retry.fired_at is None and retry.due_at == clock.now() + dt.timedelta(minutes=2)
    assert Ticket.objects.get(pk=ticket.pk).state == "aberto"

    # Someone moves the ticket meanwhile; the retry follows it. GitHub is back.
    desk.ticket_act(ticket, "analyse", actor=support, reason="enquanto o GitHub volta")
    fake_github.mode = "ok"
    clock.advance(dt.timedelta(minutes=2))
    assert timers.sweep() == 1
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_number, ticket.github_pending) == (
        "em_desenvolvimento",
        42,
        False,
    )
    assert AuditEntry.for_object(ticket).last().actor is None  # the system retried
    # each retry first looks for an issue a lost response may hide, then creates it
    assert [r["method"] for r in fake_github.requests] == ["POST", "GET", "GET", "POST"]
    assert len(fake_github.issues) == 1


def test_T7_a_retry_after_a_lost_response_adopts_the_issue_instead_of_a_second_one(
    fake_github, ticket, support, clock
):
    fake_github.mode = "lost_response"  # GitHub creates the issue, the answer never arrives
    with pytest.raises(github_sync.GithubQueued):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="precisa de correção")
    [created] = fake_github.issues
    assert f"<!-- balcao-chamado-{ticket.pk} -->" in created["body"]
    other = new_ticket(support, subject="Outro chamado")
    fake_github.mode = "ok"
    github_sync.ticket_open_on_github(other, actor=support, reason="outro bug")  # a newer issue

    clock.advance(dt.timedelta(minutes=1))
    assert timers.sweep() == 1
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_number, ticket.github_pending) == (
        "em_desenvolvimento",
        created["number"],
        False,
    )
    assert ticket.github_issue_url == created["html_url"]
    assert len(fake_github.issues) == 2  # no second issue for the first ticket
    assert Ticket.objects.get(pk=other.pk).github_issue_number == created["number"] + 1


def test_T7_github_unreachable_is_retried(fake_github, ticket, support, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    settings.GITHUB_API_URL = f"http://127.0.0.1:{free_port}"
    with pytest.raises(github_sync.GithubQueued):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="precisa de correção")
    assert Ticket.objects.get(pk=ticket.pk).github_pending


def test_T7_refused_by_github_says_why_in_pt_br_and_writes_nothing(
    fake_github, ticket, support, settings
):
    settings.GITHUB_TOKEN = "token-errado"
    with pytest.raises(TransitionRefused, match="token do GitHub inválido"):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="precisa de correção")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_pending) == ("aberto", False)
    assert not Timer.for_object(ticket).filter(key="github_retry").exists()


def test_T7_only_support_roles_may_open_on_github(fake_github, ticket, make_user):
    with pytest.raises(TransitionRefused, match="Seu perfil"):
        github_sync.ticket_open_on_github(ticket, actor=make_user(SELLER), reason="quero abrir")
    assert fake_github.requests == []


def test_T7_button_on_the_ticket_page_opens_the_issue(fake_github, ticket, support):
    client = Client()
    client.force_login(support)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Abrir no GitHub" in page
    url = reverse("tickets:github_open", args=[ticket.pk])
    response = client.post(url, {"reason": "bug no exportador"}, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == reverse("tickets:detail", args=[ticket.pk])
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Issue #42 criada no GitHub" in page and "issue #42" in page
    assert "Abrir no GitHub" not in page
    fake_github.mode = "down"
    other = new_ticket(support)
    client.post(reverse("tickets:github_open", args=[other.pk]), {"reason": "outro bug"})
    page = client.get(reverse("tickets:detail", args=[other.pk])).content.decode()
    assert "GitHub indisponível" in page and "nova tentativa" in page


# -- webhook ----------------------------------------------------------------------------------


def linked_ticket(support, number=42):
    ticket = new_ticket(support)
    Ticket.objects.filter(pk=ticket.pk).update(
        github_issue_number=number,
        github_issue_url=f"https://github.com/webplanet/g3stor/issues/{number}",
        github_issue_state="open",
    )
    desk.ticket_act(ticket, "develop", actor=support, reason="bug confirmado")
    return Ticket.objects.get(pk=ticket.pk)


def issue_payload(action, number=42, repo="webplanet/g3stor", state=None):
    return {
        "action": action,
        "issue": {"number": number, "state": state or ("closed" if action == "closed" else "open")},
        "repository": {"full_name": repo},
        "sender": {"login": "dev-joao"},
    }


def deliver(payload, event="issues", secret=WEBHOOK_SECRET, delivery=None, body=None, signed=None):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = signed or signature(json.dumps(payload).encode(), secret)
    return Client(enforce_csrf_checks=True).post(
        WEBHOOK, raw, content_type="application/json", headers=headers
    )


def test_T7_signed_issue_closed_and_reopened_move_the_ticket(fake_github, support):
    ticket = linked_ticket(support)
    response = deliver(issue_payload("closed"))
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_analise", "closed")
    closed = AuditEntry.for_object(ticket).last()
    assert (closed.event, closed.actor) == ("dev_finished", None)
    assert "fechada no GitHub por @dev-joao" in closed.reason

    desk.ticket_act(ticket, "conclude", actor=support, reason="corrigido, avisei o cliente")
    assert deliver(issue_payload("reopened")).status_code == 200
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("em_desenvolvimento", "open")


@pytest.mark.parametrize(
    "how",
    ["unsigned", "wrong_secret", "tampered", "malformed_header", "no_secret_configured"],
)
def test_T7_webhook_rejects_unsigned_or_tampered_payloads(fake_github, support, settings, how):
    ticket = linked_ticket(support)
    payload = issue_payload("closed")
    if how == "unsigned":
        response = deliver(payload, secret=None)
    elif how == "wrong_secret":
        response = deliver(payload, secret="outro-segredo")
    elif how == "tampered":
        tampered = json.dumps(issue_payload("closed", number=43)).encode()
        response = deliver(payload, body=tampered)
    elif how == "malformed_header":
        response = deliver(payload, signed="sha1=abc")
    else:
        settings.GITHUB_WEBHOOK_SECRET = ""
        response = deliver(payload)
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).state == "em_desenvolvimento"
    assert not GithubDelivery.objects.exists()


def test_T7_replayed_delivery_is_ignored(fake_github, support):
    ticket = linked_ticket(support)
    comment = {
        "action": "created",
        "issue": {"number": 42, "state": "open"},
        "comment": {"id": 9001, "body": "Corrigido no PR #77", "user": {"login": "dev-joao"}},
        "repository": {"full_name": "webplanet/g3stor"},
        "sender": {"login": "dev-joao"},
    }
    delivery = str(uuid.uuid4())
    assert deliver(comment, event="issue_comment", delivery=delivery).status_code == 200
    replay = deliver(comment, event="issue_comment", delivery=delivery)
    assert (replay.status_code, replay.content) == (200, b"replay")
    notes = TicketNote.objects.filter(ticket=ticket, kind="github_comment")
    assert [(n.text, n.external_author) for n in notes] == [("Corrigido no PR #77", "@dev-joao")]


def test_T7_comments_show_in_the_ticket_history(fake_github, support):
    ticket = linked_ticket(support)
    comment = {
        "action": "created",
        "issue": {"number": 42},
        "comment": {"id": 1, "body": "Reproduzi no ambiente de teste", "user": {"login": "ana"}},
        "repository": {"full_name": "webplanet/g3stor"},
        "sender": {"login": "ana"},
    }
    deliver(comment, event="issue_comment")
    client = Client()
    client.force_login(support)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Reproduzi no ambiente de teste" in page and "@ana" in page


def test_T7_the_issue_opened_here_is_found_by_its_repository_and_number(
    fake_github, ticket, support
):
    github_sync.ticket_open_on_github(ticket, actor=support, reason="bug no exportador")
    assert github_sync.linked_ticket("webplanet/g3stor", 42) == ticket
    assert github_sync.linked_ticket("WebPlanet/G3stor", 42) == ticket  # GitHub ignores case
    assert github_sync.linked_ticket("webplanet/g3stor-novo", 42) is None
    assert github_sync.linked_ticket("planet/g3stor", 42) is None
    assert deliver(issue_payload("closed")).content == b"issue closed; ticket moved"


def test_T7_other_repository_unknown_issue_and_ping_change_nothing(fake_github, support):
    ticket = linked_ticket(support)
    assert deliver(issue_payload("closed", repo="outra/coisa")).content.startswith(b"ignored")
    assert deliver(issue_payload("closed", number=999)).content == b"no ticket for this issue"
    assert deliver({"zen": "Keep it simple"}, event="ping").content == b"pong"
    assert Ticket.objects.get(pk=ticket.pk).state == "em_desenvolvimento"


def test_T7_close_while_ticket_waits_for_the_client_is_noted_not_lost(fake_github, support):
    ticket = linked_ticket(support)
    desk.ticket_act(ticket, "ask_client", actor=support, reason="pedi um exemplo do erro")
    deliver(issue_payload("closed"))
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_issue_state) == ("aguardando_cliente", "closed")
    assert "não mudou" in TicketNote.objects.get(ticket=ticket, kind="github").text


def test_T7_board_lists_linked_tickets_with_issue_state(fake_github, support, make_user):
    open_one = linked_ticket(support, number=42)
    closed_one = linked_ticket(support, number=43)
    deliver(issue_payload("closed", number=43))
    new_ticket(support, subject="Sem issue nenhuma")
    client = Client()
    client.force_login(make_user(SUPPORT_DEV))
    page = client.get(reverse("tickets:github_board")).content.decode()
    assert f"[#{open_one.pk}]" in page and f"[#{closed_one.pk}]" in page
    assert "fechada" in page and "aberta" in page
    assert "Sem issue nenhuma" not in page
    outsider = Client()
    outsider.force_login(make_user(SELLER))
    assert outsider.get(reverse("tickets:github_board")).status_code == 403


def test_T7_a_second_click_while_the_issue_is_being_created_opens_no_second_issue(
    fake_github, ticket, support
):
    Ticket.objects.filter(pk=ticket.pk).update(github_pending=True)  # first click in flight
    with pytest.raises(TransitionRefused, match="já está sendo criada"):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="clique duplo")
    assert fake_github.requests == []


def test_T7_retry_refused_by_github_releases_the_ticket_for_a_new_try(
    fake_github, ticket, support, clock, settings
):
    fake_github.mode = "down"
    with pytest.raises(github_sync.GithubQueued):
        github_sync.ticket_open_on_github(ticket, actor=support, reason="precisa de correção")
    fake_github.mode = "ok"
    settings.GITHUB_TOKEN = "token-revogado"
    clock.advance(dt.timedelta(minutes=1))
    timers.sweep()
    ticket.refresh_from_db()
    assert (ticket.state, ticket.github_pending) == ("aberto", False)
    assert "token do GitHub inválido" in ticket.github_error
    settings.GITHUB_TOKEN = "test-token"
    github_sync.ticket_open_on_github(ticket, actor=support, reason="token corrigido")
    assert Ticket.objects.get(pk=ticket.pk).state == "em_desenvolvimento"
