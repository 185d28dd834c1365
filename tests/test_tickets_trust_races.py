"""T1/T7 exactly once under real concurrency: two threads released together by a barrier
deliver the same webhook change, import the same e-mail, or click "Vincular" at once."""

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from tests.test_tickets_github import WEBHOOK, linked_ticket
from tests.test_tickets_trust import STRANGER, mail
from tests.tickets_support.fake_github import signature
from tickets import desk, mail_trust, mailbox
from tickets.models import GithubDelivery, InboundEmail, Ticket, TicketNote
from workflows.models import AuditEntry
from workflows.refusals import TransitionRefused
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db(transaction=True)


def together(*calls):
    """Run each call in its own thread, all released at once; their results (or errors)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # reported to the test, not lost in the thread
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_T7_the_same_change_delivered_twice_at_once_is_applied_once(fake_github, make_user):
    ticket = linked_ticket(make_user(SUPPORT))
    body = json.dumps(
        {
            "action": "created",
            "issue": {"number": 42},
            "comment": {"id": 77, "body": "Corrigido", "user": {"login": "ana"}},
            "repository": {"full_name": "webplanet/g3stor"},
        }
    ).encode()

    def deliver():
        headers = {
            "X-GitHub-Event": "issue_comment",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": signature(body),
        }
        response = Client().post(WEBHOOK, body, content_type="application/json", headers=headers)
        return response.status_code, response.content

    results = together(deliver, deliver)
    assert sorted(results) == [(200, b"comment added"), (200, b"replay")]
    assert TicketNote.objects.filter(ticket=ticket, kind="github_comment").count() == 1
    assert GithubDelivery.objects.count() == 1


def test_T1_the_same_email_imported_twice_at_once_is_imported_once(clock):
    raw = mail(message_id="<uma-vez@lopesadv.com.br>")
    results = together(
        lambda: mailbox.mailbox_import_message(raw), lambda: mailbox.mailbox_import_message(raw)
    )
    assert sorted(results) == ["duplicate", "new_ticket"]
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_T1_two_clicks_on_vincular_at_once_link_once(make_user, clock):
    support = make_user(SUPPORT)
    assert (
        mailbox.mailbox_import_message(mail(message_id="<pedido@lopesadv.com.br>")) == "new_ticket"
    )
    original = Ticket.objects.get()
    desk.ticket_act(original, "conclude", actor=support, reason="Resolvido.")
    mailbox.mailbox_import_message(mail(subject=f"Re: {original.tag}", sender=STRANGER))
    suspect = Ticket.objects.get(suspected_reply_to=original)

    def click():
        try:
            return mail_trust.ticket_link_reply(Ticket.objects.get(pk=suspect.pk), actor=support)
        except TransitionRefused:
            return "refused"

    results = together(click, click)
    assert sorted(map(str, results)) == sorted([str(original), "refused"])
    assert original.notes.filter(kind="email_in").count() == 1
    assert AuditEntry.for_object(suspect).filter(event="link_reply").count() == 1
    assert AuditEntry.for_object(original).filter(event="reopen").count() == 1
