"""T4 (issue 21, item 9): "Mesclar chamados" — two tickets about one problem become one: the
thread, files, GitHub comments and link move to the ticket kept, the other is closed as
mesclado pointing to it, its history stays, a later client reply lands on the kept one, its
SLA stops; refusals are 4xx with nothing changed."""

import datetime as dt
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.sales_fixtures import make_ficha
from tests.test_tickets_trust import PDF, STRANGER, mail, receive
from tests.tickets_support.helpers import new_ticket
from tickets import conversation, desk, merge, selectors, sla_alerts, sla_queue
from tickets.models import (
    EmailAttachment,
    InboundEmail,
    Ticket,
    TicketAlert,
    TicketNote,
    TicketNoteAttachment,
    TicketNoteRevision,
)
from workflows.models import AuditEntry, Timer
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, first_name="Carla", last_name="Souza")


def by_email(subject, message_id, **headers) -> Ticket:
    assert receive(mail(subject=subject, message_id=message_id, **headers)) == "new_ticket"
    return Ticket.objects.get(emails__message_id=message_id)


@pytest.fixture
def pair(support, clock):
    """Marina wrote twice about one problem: #older (a reply came in) and, an hour later,
    #newer (with a PDF; answered, an internal note with a file, a GitHub comment edited once
    and the issue #45)."""
    older = by_email("Intimações não chegam", "<a1@lopesadv.com.br>")
    assert receive(mail(subject=f"Re: {older.tag}", message_id="<a2@lopesadv.com.br>")) == "reply"
    clock.advance(dt.timedelta(hours=1))
    newer = by_email(
        "Ainda sem intimações",
        "<b1@lopesadv.com.br>",
        attachment=("print.pdf", PDF),
    )
    conversation.ticket_reply(newer, actor=support, text="Dra. Marina, estamos verificando.")
    conversation.ticket_note(
        newer,
        actor=support,
        text="Log do robô anexado.",
        files=[SimpleUploadedFile("robo.log", b"erro 500 no TJSP", "text/plain")],
    )
    Ticket.objects.filter(pk=newer.pk).update(
        github_issue_number=45,
        github_issue_url="https://github.com/webplanet/g3stor/issues/45",
        github_issue_state="open",
    )
    comment = desk.ticket_note_add(
        newer, kind=TicketNote.Kind.GITHUB_COMMENT, text="Corrigido", external_id="901"
    )
    TicketNoteRevision.objects.create(note=comment, change="edited", text="Investigando")
    return Ticket.objects.get(pk=older.pk), Ticket.objects.get(pk=newer.pk)


def counts():
    return {
        "notes": TicketNote.objects.count(),
        "emails": InboundEmail.objects.count(),
        "attachments": EmailAttachment.objects.count(),
        "note_files": TicketNoteAttachment.objects.count(),
        "revisions": TicketNoteRevision.objects.count(),
        "audit": AuditEntry.objects.count(),
        "tickets": Ticket.objects.count(),
    }


def snapshot(*tickets):
    rows = []
    for t in tickets:
        t = Ticket.objects.get(pk=t.pk)
        rows.append((t.state, t.version, t.merged_into_id, t.github_issue_number, t.notes.count()))
    return rows, counts()


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- the service ---------------------------------------------------------------------------------


def test_T4_merge_moves_the_whole_thread_and_the_github_link_and_nothing_is_lost(pair, support):
    older, newer = pair
    before = counts()
    newer_audit = list(AuditEntry.for_object(newer).values_list("pk", flat=True))
    newer_notes = set(newer.notes.values_list("pk", flat=True))
    kept = merge.ticket_merge(newer, older, actor=support, reason="Mesmo problema do TJSP")

    assert kept == older
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.state == Ticket.State.MERGED and newer.merged_into == older
    # Everything is still there: one opening message and one merge note on each ticket added.
    after = counts()
    assert after["notes"] == before["notes"] + 3
    for name in ("emails", "attachments", "note_files", "revisions", "tickets"):
        assert after[name] == before[name], name
    assert after["audit"] == before["audit"] + 1  # the merge itself
    # The thread is on the kept ticket: e-mails, files, replies, notes, GitHub comments.
    assert older.emails.count() == 3 and newer.emails.count() == 0
    assert older.attachments.get().filename == "print.pdf"
    assert newer_notes <= set(older.notes.values_list("pk", flat=True))
    assert TicketNoteAttachment.objects.get().note.ticket == older
    assert TicketNoteRevision.objects.get().note.ticket == older
    opening = older.notes.get(external_id="<b1@lopesadv.com.br>")
    assert opening.kind == TicketNote.Kind.EMAIL_IN and opening.at == newer.created_at
    assert "Desde ontem não recebo nada." in opening.text
    # T7: the GitHub link follows the thread; the webhook now finds the kept ticket.
    assert older.github_issue_number == 45 and newer.github_issue_number is None
    from tickets.github_sync import linked_ticket

    assert linked_ticket("webplanet/g3stor", 45) == older
    # The merged ticket keeps its own history, and both say who merged, when and why.
    assert set(newer_audit) < set(AuditEntry.for_object(newer).values_list("pk", flat=True))
    audit = AuditEntry.for_object(newer).get(event="merge")
    assert (audit.actor, audit.from_state, audit.to_state) == (support, "aberto", "mesclado")
    assert audit.rule_ids == ["T4"]
    text = f"Chamado #{newer.pk} mesclado em #{older.pk} por Carla Souza: Mesmo problema do TJSP"
    for ticket in (older, newer):
        note = ticket.notes.filter(kind="internal").order_by("-pk").first()
        assert note.text.startswith(text)
    assert "1 e-mail, 1 resposta, 1 nota interna, 1 registro do GitHub, 2 anexos e " in note.text
    assert note.text.endswith("vínculo com o GitHub #45.")


def test_T4_the_kept_ticket_page_shows_the_moved_thread_and_the_merged_one_its_banner(
    pair, support
):
    older, newer = pair
    merge.ticket_merge(newer, older, actor=support, reason="Mesmo problema")
    client = login(support)
    kept_page = client.get(reverse("tickets:detail", args=[older.pk])).content.decode()
    assert "Dra. Marina, estamos verificando." in kept_page
    assert "Log do robô anexado." in kept_page and "robo.log" in kept_page
    assert f'href="/suporte/chamados/{newer.pk}/"' in kept_page  # "Chamados mesclados neste"
    merged_page = client.get(reverse("tickets:detail", args=[newer.pk])).content.decode()
    assert f'Mesclado em <a href="/suporte/chamados/{older.pk}/">#{older.pk}</a>' in merged_page
    assert 'id="acao-mesclar"' not in merged_page  # final: no more actions
    assert 'id="acao-mesclar"' in kept_page


def test_T1_a_client_reply_to_the_merged_ticket_threads_into_the_kept_one(pair, support, clock):
    older, newer = pair
    merge.ticket_merge(newer, older, actor=support, reason="Mesmo problema")
    clock.advance(dt.timedelta(minutes=10))
    # By the [#N] tag of the merged ticket…
    assert receive(mail(subject=f"Re: {newer.tag} Ainda sem intimações")) == "reply"
    # …and by In-Reply-To of our reply sent from the merged ticket.
    ours = older.notes.get(kind="email_out", sent_to__isnull=False).external_id
    assert receive(mail(subject="Re: intimações", In_Reply_To=ours)) == "reply"
    assert Ticket.objects.count() == 2
    assert older.notes.filter(kind="email_in").count() == 4  # a2, b1 (opening) and these two
    assert newer.notes.filter(kind="email_in").count() == 0
    # A stranger quoting the merged ticket's tag still touches nothing (T1).
    receive(mail(subject=f"Re: {newer.tag}", sender=STRANGER))
    suspect = Ticket.objects.get(requester_email="cobranca@falso.example")
    assert suspect.suspected_reply_to == older


def test_T1_the_merged_ticket_contact_of_the_same_client_reaches_the_kept_ticket(support, clock):
    ficha = make_ficha(name="Lopes Advocacia", email="marina@lopesadv.com.br")
    older = new_ticket(support, ficha=ficha, requester_email="marina@lopesadv.com.br")
    newer = new_ticket(support, ficha=ficha, requester_email="socio@lopesadv.com.br")
    found = merge.summary(newer, older)
    assert "Os contatos são diferentes" in found.warnings[0]
    merge.ticket_merge(newer, older, actor=support, reason="Sócio e Marina, mesmo problema")
    sender = "Sócio <socio@lopesadv.com.br>"
    assert receive(mail(subject=f"Re: {newer.tag}", sender=sender)) == "reply"
    assert older.notes.filter(kind="email_in", external_author__contains="socio@").exists()


def test_T6_the_merged_ticket_leaves_the_queue_and_its_sla_stops(pair, support, clock):
    older, newer = pair
    live = Timer.for_object(newer).filter(fired_at__isnull=True, key__startswith="sla_")
    assert live.exists()
    merge.ticket_merge(newer, older, actor=support, reason="Mesmo problema")
    newer.refresh_from_db()
    assert not Timer.for_object(newer).filter(fired_at__isnull=True).exists()
    assert newer.response_due_at is None and newer.next_breach_at is None
    rows, _ = sla_queue.waiting_queue()
    assert newer.pk not in [r["ticket"].pk for r in rows] and older.pk in [
        r["ticket"].pk for r in rows
    ]
    values = selectors.list_values(support)
    assert newer not in selectors.list_tickets(values, view="ativos")
    assert newer not in selectors.list_tickets(values, view="vencido")
    # Long past its old deadlines, a late timer of the merged ticket alerts nobody.
    clock.advance(dt.timedelta(days=30))
    for handler in ("sla_response_breach", "sla_resolution_breach", "sla_resolution_warning"):
        getattr(sla_alerts, handler)(Ticket.objects.get(pk=newer.pk))
    assert not TicketAlert.objects.filter(ticket=newer).exists()


def test_T4_earlier_merges_follow_to_the_ticket_kept(support, clock):
    first, second, third = (new_ticket(support) for _ in range(3))
    merge.ticket_merge(third, second, actor=support, reason="Repetido")
    merge.ticket_merge(second, first, actor=support, reason="Repetido também")
    assert Ticket.objects.get(pk=third.pk).merged_into_id == first.pk
    receive(mail(subject=f"Re: {third.tag}", sender="Dra. Marina Lopes <marina@example.com>"))
    assert first.notes.filter(kind="email_in").count() == 1


# -- refusals ------------------------------------------------------------------------------------


def refused(source, target, actor, reason="Mesmo problema"):
    with pytest.raises(TransitionRefused) as caught:
        merge.ticket_merge(source, target, actor=actor, reason=reason)
    return caught.value


def test_T4_merging_into_itself_a_merged_or_a_concluded_ticket_is_refused(pair, support):
    older, newer = pair
    before = snapshot(older, newer)
    assert "nele mesmo" in refused(newer, newer, support).message
    assert "Escreva por que" in refused(newer, older, support, reason="...").message
    assert before == snapshot(older, newer)
    desk.ticket_act(older, "conclude", actor=support, reason="Resolvido")
    problem = refused(newer, Ticket.objects.get(pk=older.pk), support)
    assert "reabra-o antes" in problem.message and problem.status_code == 422
    third = new_ticket(support)
    merge.ticket_merge(third, newer, actor=support, reason="Repetido")
    before = snapshot(older, newer, third)
    problem = refused(older, Ticket.objects.get(pk=third.pk), support)
    assert "já foi mesclado" in problem.message and problem.rule_ids == ("T4",)
    problem = refused(Ticket.objects.get(pk=third.pk), older, support)
    assert "Mesclado" in problem.message  # a merged ticket has no more events
    assert before == snapshot(older, newer, third)


def test_T1_tickets_of_different_clients_are_not_merged(support, clock):
    one = new_ticket(support, ficha=make_ficha(name="Lopes Advocacia"))
    other = new_ticket(support, ficha=make_ficha(name="Prado Advogados"))
    before = snapshot(one, other)
    problem = refused(other, one, support)
    assert "clientes diferentes" in problem.message and problem.rule_ids == ("T1",)
    assert before == snapshot(one, other)


def test_T7_two_tickets_on_different_github_issues_are_not_merged(support, clock):
    one, other = new_ticket(support), new_ticket(support)
    for ticket, number in ((one, 45), (other, 46)):
        Ticket.objects.filter(pk=ticket.pk).update(
            github_issue_number=number,
            github_issue_url=f"https://github.com/webplanet/g3stor/issues/{number}",
        )
    before = snapshot(one, other)
    problem = refused(other, one, support)
    assert "cada issue acompanha um só chamado" in problem.message
    assert problem.rule_ids == ("T7",)
    Ticket.objects.filter(pk=other.pk).update(github_issue_number=None, github_issue_url="")
    Ticket.objects.filter(pk=one.pk).update(github_pending=True)
    assert "pendente" in refused(Ticket.objects.get(pk=other.pk), one, support).message
    assert before[1] == snapshot(one, other)[1]


def test_T4_pages_refuse_bad_input_in_pt_br_with_4xx_and_change_nothing(pair, support):
    older, newer = pair
    client = login(support)
    pick = reverse("tickets:merge", args=[newer.pk])
    before = snapshot(older, newer)
    missing = client.post(pick, {"number": "#999999"})
    assert missing.status_code == 422
    assert "Não há chamado com o número “#999999”." in missing.content.decode()
    empty = client.post(pick, {"number": ""})
    assert empty.status_code == 422
    assert "Informe o número do outro chamado" in empty.content.decode()
    itself = client.post(pick, {"number": f"#{newer.pk}"})
    assert itself.status_code == 422 and "nele mesmo" in itself.content.decode()
    confirm = reverse("tickets:merge_confirm", args=[newer.pk, 999999])
    assert client.get(confirm).status_code == 422
    assert client.post(confirm, {"reason": "Mesmo problema"}).status_code == 422
    confirm = reverse("tickets:merge_confirm", args=[newer.pk, older.pk])
    placeholder = client.post(confirm, {"reason": "..."})
    assert placeholder.status_code == 422
    assert before == snapshot(older, newer)


def test_T4_a_seller_may_not_merge_403_and_nothing_changes(pair, make_user):
    older, newer = pair
    seller = login(make_user(AGENT, SELLER))
    before = snapshot(older, newer)
    assert seller.get(reverse("tickets:merge", args=[newer.pk])).status_code == 403
    confirm = reverse("tickets:merge_confirm", args=[newer.pk, older.pk])
    assert seller.post(confirm, {"reason": "Mesmo problema"}).status_code == 403
    assert before == snapshot(older, newer)


def test_T4_a_support_dev_may_merge(pair, make_user):
    older, newer = pair
    dev = make_user(SUPPORT_DEV, first_name="Davi")
    merge.ticket_merge(newer, older, actor=dev, reason="Mesmo bug")
    assert Ticket.objects.get(pk=newer.pk).state == Ticket.State.MERGED


# -- the pages -----------------------------------------------------------------------------------


def test_T4_pick_then_confirm_keeps_the_older_ticket_by_default(pair, support):
    older, newer = pair
    client = login(support)
    picked = client.post(reverse("tickets:merge", args=[older.pk]), {"number": f"#{newer.pk}"})
    confirm = reverse("tickets:merge_confirm", args=[newer.pk, older.pk])
    assert picked.status_code == 302 and picked["Location"] == confirm
    page = client.get(confirm).content.decode()
    assert "1 e-mail, 1 resposta, 1 nota interna, 1 registro do GitHub, 2 anexos e " in page
    assert "vínculo com o GitHub #45" in page
    swap = reverse("tickets:merge_confirm", args=[older.pk, newer.pk])
    assert f'href="{swap}"' in page
    assert Ticket.objects.get(pk=newer.pk).state == Ticket.State.OPEN  # nothing saved yet
    done = client.post(confirm, {"reason": "Mesmo problema do TJSP"})
    assert done.status_code == 302
    assert done["Location"] == reverse("tickets:detail", args=[older.pk])
    assert Ticket.objects.get(pk=newer.pk).merged_into_id == older.pk


def test_T4_the_same_clients_open_tickets_are_offered_and_a_concluded_older_one_is_not_kept(
    support, clock
):
    ficha = make_ficha(name="Lopes Advocacia")
    older = new_ticket(support, ficha=ficha, subject="Intimações de SP")
    newer = new_ticket(support, ficha=ficha, subject="Intimações de SP de novo")
    new_ticket(support, ficha=make_ficha(name="Outro Cliente"), subject="Outro assunto")
    client = login(support)
    page = client.get(reverse("tickets:merge", args=[newer.pk])).content.decode()
    assert f"#{older.pk} Intimações de SP · Aberto" in page and "Outro assunto" not in page
    desk.ticket_act(older, "conclude", actor=support, reason="Resolvido")
    picked = client.post(reverse("tickets:merge", args=[newer.pk]), {"number": str(older.pk)})
    assert picked["Location"] == reverse("tickets:merge_confirm", args=[older.pk, newer.pk])


# -- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_T4_two_merges_in_opposite_directions_cannot_both_win(make_user):
    support = make_user(SUPPORT, first_name="Carla")
    one, other = new_ticket(support), new_ticket(support)
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i, source, target):
        try:
            barrier.wait()
            results[i] = merge.ticket_merge(source, target, actor=support, reason="Repetido")
        except Exception as error:  # reported to the test, not lost in the thread
            results[i] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(0, one, other)),
        threading.Thread(target=run, args=(1, other, one)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["Ticket", "TransitionRefused"]
    states = sorted(Ticket.objects.values_list("state", flat=True))
    assert states == ["aberto", "mesclado"]
    assert AuditEntry.objects.filter(event="merge").count() == 1
    assert TicketNote.objects.filter(text__contains="mesclado em").count() == 2
