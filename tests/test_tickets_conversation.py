"""The ticket conversation (issue 21, items 1 and 8): replies e-mailed to the client with the
[#N] tag and threading headers (T1), counted as responses (T6), with a state change in the
same action (T4); internal notes never e-mailed; the thread in order; the collision warning."""

import datetime as dt
import email
import email.policy

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.tickets_support.helpers import new_ticket
from tickets import conversation, desk, mailbox
from tickets.models import Ticket, TicketNote, TicketNoteAttachment
from workflows.models import AuditEntry
from workflows.refusals import TransitionRefused
from workflows.roles import AGENT, SELLER, SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db
FROM = "Suporte Balcão <suporte@balcao.example>"


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.SUPPORT_EMAIL_FROM = FROM
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def carla(make_user):
    return make_user(SUPPORT, username="carla", first_name="Carla", last_name="Mendes")


@pytest.fixture
def diego(make_user):
    return make_user(SUPPORT, SUPPORT_DEV, username="diego", first_name="Diego")


def client_email(subject, body, *, message_id, in_reply_to="", sender="marina@example.com"):
    headers = [
        f"From: Dra. Marina Lopes <{sender}>",
        "To: suporte@balcao.example",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Date: Mon, 19 Apr 2027 08:30:00 -0300",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


@pytest.fixture
def emailed(clock):
    """A ticket opened by the client's e-mail (T1), with its description as first message."""
    raw = client_email(
        "Intimações não chegam",
        "Bom dia, as intimações de SP pararam de chegar desde ontem.",
        message_id="<pedido-1@example.com>",
    )
    assert mailbox.mailbox_import_message(raw) == "new_ticket"
    return Ticket.objects.get()


def test_T1_T6_reply_is_emailed_threaded_with_tag_from_and_attachment(
    emailed, carla, clock, django_capture_on_commit_callbacks
):
    pdf = SimpleUploadedFile("relatório.pdf", b"%PDF-1.4 teste", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        note = conversation.ticket_reply(
            emailed, actor=carla, text="Dra. Marina, já reenviamos as intimações.", files=[pdf]
        )
    [message] = mail.outbox
    assert message.subject == f"Re: [#{emailed.pk}] Intimações não chegam"
    assert message.from_email == FROM
    assert message.to == ["marina@example.com"]
    assert message.body == "Dra. Marina, já reenviamos as intimações."
    headers = message.extra_headers
    assert headers["Message-ID"] == note.external_id and "@balcao.example>" in note.external_id
    assert headers["In-Reply-To"] == "<pedido-1@example.com>"
    assert headers["References"] == "<pedido-1@example.com>"
    assert message.attachments == [("relatório.pdf", b"%PDF-1.4 teste", "application/pdf")]
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    assert parsed["Message-ID"] == note.external_id
    assert note.kind == TicketNote.Kind.EMAIL_OUT and note.sent_to == "marina@example.com"
    assert [f.filename for f in note.files.all()] == ["relatório.pdf"]
    # T6: a response, recorded by the machine's respond (the reply is its reason).
    emailed.refresh_from_db()
    assert emailed.first_response_at == emailed.last_response_at == clock.now()
    assert emailed.response_due_at > clock.now()
    [audit] = AuditEntry.for_object(emailed)
    assert (audit.event, audit.actor, audit.reason) == ("respond", carla, note.text)
    assert note.transition == audit


def test_T1_the_clients_answer_to_our_reply_threads_back(
    emailed, carla, clock, django_capture_on_commit_callbacks
):
    clock.advance(dt.timedelta(minutes=5))
    desk.ticket_act(emailed, "analyse", actor=carla, reason="olhando os logs")
    clock.advance(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        note = conversation.ticket_reply(
            emailed, actor=carla, text="Pode confirmar o número do processo?", event="ask_client"
        )
    emailed.refresh_from_db()
    assert emailed.state == "aguardando_cliente" and emailed.response_due_at is None
    answer = client_email(
        "Re: Intimações não chegam",  # no tag: threaded by In-Reply-To alone
        "É o processo 0001234-55.2027.8.26.0100.",
        message_id="<resposta-2@example.com>",
        in_reply_to=note.external_id,
    )
    clock.advance(dt.timedelta(minutes=5))
    assert mailbox.mailbox_import_message(answer) == "reply"
    emailed.refresh_from_db()
    assert emailed.state == "em_analise"  # the client answered (T4)
    kinds = [i["kind"] for i in conversation.thread(emailed)]
    assert kinds == ["client", "event", "reply", "client", "event"]


def test_T4_reply_and_conclude_in_one_action_and_the_change_is_told_on_the_reply(
    emailed, carla, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation.ticket_reply(
            emailed, actor=carla, text="Corrigido: as intimações voltaram.", event="conclude"
        )
    emailed.refresh_from_db()
    assert emailed.state == "concluido" and emailed.resolved_at == clock.now()
    assert len(mail.outbox) == 1  # one e-mail: the reply
    items = conversation.thread(emailed)
    assert [i["kind"] for i in items] == ["client", "reply"]  # the audit folds into the reply
    assert items[1]["change"] == ("Aberto", "Concluído")


def test_T1_internal_note_is_never_emailed_and_is_not_a_response(
    emailed, carla, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = conversation.ticket_note(
            emailed, actor=carla, text="Cliente ligou nervosa; verificar o robô do TJSP."
        )
    assert mail.outbox == []
    assert note.kind == TicketNote.Kind.INTERNAL and note.author == carla
    emailed.refresh_from_db()
    assert emailed.first_response_at is None
    assert not AuditEntry.for_object(emailed).exists()


def test_T1_no_client_email_refuses_the_reply_and_saves_nothing(carla, clock):
    ticket = new_ticket(carla, channel=Ticket.Channel.PHONE, requester_email="")
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_reply(ticket, actor=carla, text="Retorno sobre as intimações")
    assert refused.value.status_code == 422
    assert "não tem o e-mail do cliente" in refused.value.message
    assert not ticket.notes.exists() and not AuditEntry.for_object(ticket).exists()
    # An internal note is still fine.
    conversation.ticket_note(ticket, actor=carla, text="Liguei e deixei recado")
    assert ticket.notes.count() == 1


@pytest.mark.parametrize(
    "text",
    ["", "...", "  [...]  ", "Em 19/04/2027 09:00, Ana escreveu:\n> Bom dia, não abre o sistema"],
)
def test_T4_placeholder_or_quote_only_text_is_refused_on_its_field(emailed, carla, text):
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_reply(emailed, actor=carla, text=text)
    assert [p.field for p in refused.value.problems] == ["text"]
    assert refused.value.status_code == 422
    assert not emailed.notes.exists()


def test_T4_every_problem_of_a_submit_at_once_and_files_bounded(emailed, carla, settings):
    settings.SUPPORT_EMAIL_MAX_BYTES = 10
    big = SimpleUploadedFile("grande.pdf", b"x" * 11, content_type="application/pdf")
    empty = SimpleUploadedFile("vazio.txt", b"", content_type="text/plain")
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_reply(emailed, actor=carla, text="x" * 10_001, files=[big, empty])
    problems = {(p.field, p.message) for p in refused.value.problems}
    assert ("text", "No máximo 10.000 caracteres (tem 10.001).") in problems
    assert ("files", "“vazio.txt” está vazio.") in problems
    assert any(f == "files" and "“grande.pdf” tem 11" in m for f, m in problems)
    assert not TicketNoteAttachment.objects.exists()


def test_T4_a_concluded_ticket_is_not_answered_before_it_is_reopened(emailed, carla):
    desk.ticket_act(emailed, "conclude", actor=carla, reason="resolvido por telefone")
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_reply(emailed, actor=carla, text="Mais uma informação")
    assert refused.value.status_code == 422 and "Concluído" in refused.value.message


def test_T4_who_may_not_see_tickets_may_not_write_in_them(emailed, make_user):
    seller = make_user(SELLER, AGENT)
    for write in (conversation.ticket_reply, conversation.ticket_note):
        with pytest.raises(TransitionRefused) as refused:
            write(emailed, actor=seller, text="tentando escrever")
        assert refused.value.status_code == 403
    assert not emailed.notes.exists()


def test_T1_quote_of_the_clients_message_and_the_reply_answers_it(
    emailed, carla, clock, django_capture_on_commit_callbacks
):
    later = client_email(
        f"Re: [#{emailed.pk}] Intimações não chegam",
        "Hoje também não chegou nada.\n\nEm 19/04/2027, Suporte escreveu:\n> resposta antiga",
        message_id="<pedido-2@example.com>",
    )
    assert mailbox.mailbox_import_message(later) == "reply"
    first, _ = conversation.quote(emailed, conversation.DESCRIPTION)
    assert first.startswith(
        "Em 19/04/2027 09:00, Dra. Marina Lopes <marina@example.com> escreveu:\n> Bom dia"
    )
    note = emailed.notes.get(kind=TicketNote.Kind.EMAIL_IN)
    text, answering = conversation.quote(emailed, str(note.pk))
    assert answering == str(note.pk)
    assert "> Hoje também não chegou nada." in text and "resposta antiga" not in text
    assert conversation.quote(emailed, "999999") == ("", "")
    assert conversation.quote(emailed, "'; DROP") == ("", "")
    with django_capture_on_commit_callbacks(execute=True):
        conversation.ticket_reply(
            emailed,
            actor=carla,
            text=f"Vamos verificar.\n\n{first}",
            answering=conversation.DESCRIPTION,
        )
    [message] = mail.outbox
    assert message.extra_headers["In-Reply-To"] == "<pedido-1@example.com>"
    assert message.extra_headers["References"] == "<pedido-1@example.com>"


# --- Pages ------------------------------------------------------------------------------------


def login(user, htmx=False):
    client = Client(headers={"HX-Request": "true"} if htmx else {})
    client.force_login(user)
    return client


def test_T1_page_reply_by_htmx_redirects_and_plain_post_goes_to_the_conversation(
    emailed, carla, django_capture_on_commit_callbacks
):
    url = reverse("tickets:reply", args=[emailed.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = login(carla, htmx=True).post(
            url, {"text": "Reenviamos as intimações.", "enviar": "respond"}
        )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("tickets:detail", args=[emailed.pk])
    assert len(mail.outbox) == 1
    browser = login(carla)
    response = browser.post(url, {"text": "Só para a equipe saber.", "enviar": "note"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert response["Location"].endswith("#conversa")
    page = browser.get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    assert "Nota interna registrada (não vai para o cliente)." in page
    assert "Nota interna — não vai para o cliente" in page
    assert "Reenviamos as intimações." in page and "enviada para marina@example.com" in page
    assert page.index("as intimações de SP pararam") < page.index("Reenviamos as intimações.")


def test_T1_page_refusals_answer_422_with_the_message_and_keep_what_was_typed(carla, clock):
    ticket = new_ticket(carla, channel=Ticket.Channel.PHONE, requester_email="")
    url = reverse("tickets:reply", args=[ticket.pk])
    response = login(carla, htmx=True).post(
        url, {"text": "Em 19/04/2027 09:00, Ana escreveu:\n> Texto da Ana", "enviar": "respond"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "só a citação não valem como mensagem" in body and "&gt; Texto da Ana" in body
    assert 'id="form-resposta"' in body
    response = login(carla).post(url, {"text": "...", "enviar": "note"})
    assert response.status_code == 422
    assert "só a citação não valem como mensagem" in response.content.decode()
    response = login(carla).post(url, {"text": "Uma nota"})  # no button
    assert response.status_code == 422
    assert "Escolha “Responder ao cliente” ou “Nota interna”." in response.content.decode()
    assert not ticket.notes.exists()


def test_T4_pages_of_the_conversation_refuse_roles_outside_support_with_403(emailed, make_user):
    seller = login(make_user(SELLER, AGENT))
    reply = reverse("tickets:reply", args=[emailed.pk])
    response = seller.post(reply, {"text": "tentando escrever", "enviar": "note"})
    assert response.status_code == 403
    assert seller.post(reverse("tickets:presence", args=[emailed.pk])).status_code == 403
    assert seller.get(reverse("tickets:reply_quote", args=[emailed.pk])).status_code == 403
    assert not emailed.notes.exists()


def test_T4_reply_and_wait_from_the_page_moves_the_ticket(
    emailed, carla, django_capture_on_commit_callbacks
):
    desk.ticket_act(emailed, "analyse", actor=carla, reason="olhando os logs")
    page = login(carla).get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    assert ">Responder e aguardar o cliente</button>" in page
    assert ">Responder e concluir</button>" in page
    with django_capture_on_commit_callbacks(execute=True):
        login(carla).post(
            reverse("tickets:reply", args=[emailed.pk]),
            {"text": "Pode mandar um print?", "enviar": "ask_client"},
        )
    emailed.refresh_from_db()
    assert emailed.state == "aguardando_cliente" and len(mail.outbox) == 1


def test_T1_citar_prefills_the_editor_and_appends_to_what_was_typed(emailed, carla):
    page = (
        login(carla)
        .get(reverse("tickets:detail", args=[emailed.pk]), {"citar": "descricao"})
        .content.decode()
    )
    assert "&gt; Bom dia, as intimações de SP pararam" in page
    assert 'name="answering" value="descricao"' in page
    fragment = login(carla, htmx=True).get(
        reverse("tickets:reply_quote", args=[emailed.pk]),
        {"citar": "descricao", "text": "Olá, Dra. Marina"},
    )
    body = fragment.content.decode()
    assert "Olá, Dra. Marina\n\nEm 19/04/2027 09:00, Dra. Marina Lopes" in body
    assert 'id="reply-body"' in body


def test_T1_reply_files_download_with_their_name_only_for_support(
    emailed, carla, make_user, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("請求書.pdf", b"%PDF teste", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        note = conversation.ticket_note(emailed, actor=carla, text="Boleto anexado", files=[upload])
    file = note.files.get()
    url = reverse("tickets:reply_file", args=[file.pk])
    response = login(carla).get(url)
    assert response.status_code == 200 and response.content == b"%PDF teste"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert login(make_user(SELLER)).get(url).status_code == 403


def test_collision_warning_shows_who_else_is_viewing_or_replying(emailed, carla, diego):
    url = reverse("tickets:presence", args=[emailed.pk])
    assert login(carla).post(url).content.decode().strip() == ""  # nobody else yet
    login(diego).post(url + "?respondendo=1")
    body = login(carla).post(url).content.decode()
    assert "Diego está respondendo este chamado agora" in body
    assert "Carla Mendes está vendo este chamado agora" in login(diego).get(url).content.decode()
    cache.delete(f"ticket-presence:{emailed.pk}:{diego.pk}:replying")
    assert "Diego está vendo este chamado agora" in login(carla).get(url).content.decode()
    cache.clear()  # the keys expired
    assert login(carla).get(url).content.decode().strip() == ""


def test_T6_a_client_without_email_gets_a_return_recorded_in_the_editor_not_emailed(
    carla, clock, django_capture_on_commit_callbacks
):
    """T6: a phone ticket has no address to e-mail: the editor records what the client was
    told (the machine's respond / conclude, a response), never e-mailed."""
    ticket = new_ticket(carla, channel=Ticket.Channel.PHONE, requester_email="")
    client = login(carla)
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    editor = page.split('id="form-resposta"', 1)[1]
    assert ">Registrar retorno ao cliente</button>" in editor
    assert "Responder ao cliente</button>" not in editor
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:reply", args=[ticket.pk]),
            {"text": "Liguei: o robô do TJSP voltou.", "enviar": "conclude"},
        )
    assert response.status_code == 302
    assert mail.outbox == []
    [note] = ticket.notes.all()
    assert note.kind == TicketNote.Kind.CLIENT_UPDATE and note.sent_to == ""
    assert note.external_id == "" and note.transition.event == "conclude"
    ticket.refresh_from_db()
    assert ticket.state == "concluido" and ticket.first_response_at == clock.now()
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Retorno ao cliente registrado; chamado concluído." in page
    assert "dada por telefone ou chat, sem e-mail" in page


def test_T6_the_actions_card_sends_a_return_to_the_reply_editor_not_a_second_form(emailed, carla):
    """T6: one path for a return to the client: the Ações card draws the machine's respond,
    ask_client and conclude (what actions_for allows) as links to the reply editor."""
    desk.ticket_act(emailed, "analyse", actor=carla, reason="olhando os logs")
    page = login(carla).get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    card = page.split("<h2>Ações</h2>", 1)[1]
    for event in ("respond", "ask_client", "conclude"):
        assert reverse("tickets:action", args=[emailed.pk, event]) not in card
    assert card.count('href="#responder"') == 3
    assert "Dar retorno ao cliente</a>" in card and "Concluir</a>" in card
    assert reverse("tickets:action", args=[emailed.pk, "assign"]) in card
    desk.ticket_act(emailed, "conclude", actor=carla, reason="Corrigido: as intimações voltaram.")
    page = login(carla).get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    assert 'href="#responder"' not in page.split("<h2>Ações</h2>", 1)[1]  # the machine says no


def test_T6_a_return_through_desk_act_is_the_same_reply_as_the_editors(emailed, carla, clock):
    """T6: `desk.ticket_act` with a client-facing event goes through the one reply path: the same
    threaded e-mail, the same reply note, the audit folded into it."""
    desk.ticket_act(emailed, "respond", actor=carla, reason="Estamos reenviando as intimações.")
    [message] = mail.outbox
    assert message.subject == f"Re: [#{emailed.pk}] Intimações não chegam"
    assert message.from_email == FROM and message.to == ["marina@example.com"]
    assert message.extra_headers["In-Reply-To"] == "<pedido-1@example.com>"
    [note] = emailed.notes.all()
    assert note.kind == TicketNote.Kind.EMAIL_OUT and note.sent_to == "marina@example.com"
    assert note.external_id == message.extra_headers["Message-ID"]
    assert note.author == carla and note.transition.event == "respond"
    assert [i["kind"] for i in conversation.thread(emailed)] == ["client", "reply"]


def test_T4_the_author_edits_an_internal_note_and_its_earlier_text_is_kept_and_shown(
    emailed, carla, clock
):
    note = conversation.ticket_note(emailed, actor=carla, text="Cliente ligou; ver robô do TJ.")
    client = login(carla)
    url = reverse("tickets:note_edit", args=[note.pk])
    assert client.get(url).status_code == 200
    clock.advance(dt.timedelta(minutes=7))
    response = client.post(url, {"text": "Cliente ligou; ver o robô do TJSP (não do TJRJ)."})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "Cliente ligou; ver o robô do TJSP (não do TJRJ)."
    assert note.edited_at == clock.now() and note.kind == TicketNote.Kind.INTERNAL
    [revision] = note.revisions.all()
    assert revision.text == "Cliente ligou; ver robô do TJ." and revision.change == "author"
    assert revision.by == "Carla Mendes" and revision.at == clock.now()
    page = client.get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    shown = page.split(f'id="registro-{note.pk}"', 1)[1].split("</li>", 1)[0]
    assert "editada em" in shown and "Versões anteriores" in shown
    assert "Editada pelo autor" in shown and "Cliente ligou; ver robô do TJ." in shown
    assert "Nota interna editada; a versão anterior fica no histórico." in page
    assert mail.outbox == []


def test_T4_only_the_author_edits_a_note_and_a_bad_text_changes_nothing(
    emailed, carla, diego, clock
):
    note = conversation.ticket_note(emailed, actor=carla, text="Nota da Carla")
    url = reverse("tickets:note_edit", args=[note.pk])
    other = login(diego)
    assert other.get(url).status_code == 403
    assert other.post(url, {"text": "Nota do Diego"}).status_code == 403
    page = other.get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    assert url not in page  # no "Editar nota" for someone else's note
    for text in ("...", "Nota da Carla", "x" * 10_001):
        response = login(carla).post(url, {"text": text})
        assert response.status_code == 422
    note.refresh_from_db()
    assert note.text == "Nota da Carla" and note.edited_at is None
    assert not note.revisions.exists()
    assert url in login(carla).get(reverse("tickets:detail", args=[emailed.pk])).content.decode()


def test_T1_T4_a_reply_already_emailed_cannot_be_edited_and_says_so(
    emailed, carla, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = conversation.ticket_reply(emailed, actor=carla, text="Reenviamos as intimações.")
    with pytest.raises(TransitionRefused) as refused:
        conversation.ticket_note_edit(reply, actor=carla, text="Outro texto")
    assert refused.value.status_code == 422 and refused.value.rule_ids == ("T1", "T4")
    response = login(carla).post(reverse("tickets:note_edit", args=[reply.pk]), {"text": "x"})
    assert response.status_code == 422
    assert "já foi enviada por e-mail ao cliente e não pode ser editada" in (
        response.content.decode()
    )
    reply.refresh_from_db()
    assert reply.text == "Reenviamos as intimações." and not reply.revisions.exists()
    page = login(carla).get(reverse("tickets:detail", args=[emailed.pk])).content.decode()
    assert "Já enviada ao cliente por e-mail: não pode ser editada." in page


def test_T1_the_first_message_shows_the_oldest_email_that_opened_the_ticket(carla, clock):
    """A ticket can hold two e-mails that each opened a ticket ("Vincular ao chamado
    original" moves one in): its first message is the older one's, never the newer's."""
    from model_bakery import baker

    from tickets.models import InboundEmail

    ticket = new_ticket(carla)
    emails = [
        baker.make(
            InboundEmail,
            ticket=ticket,
            outcome=InboundEmail.Outcome.NEW_TICKET,
            message_id=f"<m{n}@example.com>",
            html=html,
            received_at=clock.now() + dt.timedelta(minutes=n),
            uid=n + 1,
            uidvalidity=1,
            raw=b"",
        )
        for n, html in enumerate(["<p>o primeiro</p>", "<p>o segundo</p>"])
    ]
    first = conversation.thread(ticket)[0]
    assert first["kind"] == "client" and first["html_email"] == emails[0].pk  # its HTML frame
