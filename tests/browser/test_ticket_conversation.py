"""The ticket conversation clicked in Chromium (issue 21, items 1 and 8): a support agent
answers the client from the ticket page, the client's HTML answer threads back readably, an
internal note stays internal, "Responder e aguardar o cliente" moves the ticket, and two
agents on one ticket see each other in the collision warning."""

import datetime as dt
import re
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tickets import desk, mailbox
from tickets.models import Ticket, TicketNote
from workflows.roles import SUPPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CORPUS = Path(__file__).parent.parent / "tickets_support" / "mail_corpus"
CLIENT = "Dra. Marina Lopes <marina@lopesadv.com.br>"
uids = iter(range(1, 1000))


@pytest.fixture(autouse=True)
def _support_address(settings):
    settings.SUPPORT_EMAIL_FROM = "Suporte Web Planet <suporte@webplanet.test>"
    cache.clear()
    yield
    cache.clear()


def receive(msg: EmailMessage) -> str:
    """What the IMAP poller does with a new message of the support mailbox."""
    msg["From"] = msg["From"] or CLIENT
    msg["To"] = "suporte@webplanet.test"
    msg["Message-ID"] = msg["Message-ID"] or f"<{uuid.uuid4().hex}@mail.example>"
    return mailbox.mailbox_import_message(
        msg.as_bytes(), folder="INBOX", uid=next(uids), uidvalidity=1
    )


def first_email(subject, text) -> Ticket:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg.set_content(text)
    assert receive(msg) == "new_ticket"
    return Ticket.objects.get()


def html_answer(in_reply_to: str) -> EmailMessage:
    """The client's answer as Gmail sends it: HTML with entities, quoting our reply."""
    msg = EmailMessage()
    msg["Subject"] = "Re: Intimações do TJSP não chegam"
    msg["In-Reply-To"] = in_reply_to
    msg["References"] = in_reply_to
    msg.set_content(
        "<div>Obrigada!&nbsp;As intima&ccedil;&otilde;es chegaram agora.</div>"
        "<div><br></div><div>Att,<br>Marina</div>"
        '<div class="gmail_quote">Em seg., 19 de abr. de 2027 às 09:05, Suporte '
        "&lt;suporte@webplanet.test&gt; escreveu:<br>"
        "<blockquote>Reenviamos as intimações.</blockquote></div>",
        subtype="html",
    )
    return msg


def test_journey_support_answers_the_client_and_the_html_answer_threads_back_T1_T6(
    session, make_user, clock, tmp_path
):
    make_user(SUPPORT, username="carla", first_name="Carla")
    ticket = first_email("Intimações do TJSP não chegam", "Bom dia, desde ontem nada chega.")

    carla = session("carla")
    page = carla.go(f"/suporte/chamados/{ticket.pk}/")
    first = page.locator(".msg-client").first
    expect(first).to_contain_text("Dra. Marina Lopes")
    expect(first).to_contain_text("Bom dia, desde ontem nada chega.")

    # "Citar" quotes the client's message below what was typed, the editor keeps it.
    editor = page.locator("#form-resposta")
    editor.get_by_label("Mensagem").fill("Dra. Marina, reenviamos as intimações de ontem.")
    first.get_by_role("link", name="Citar").click()
    expect(editor.get_by_label("Mensagem")).to_have_value(
        re.compile(r"^Dra\. Marina, reenviamos.*\n\nEm 19/04/2027 09:00, .*escreveu:\n> Bom dia")
    )
    report = tmp_path / "relatório.pdf"
    report.write_bytes(b"%PDF-1.4 relatorio")
    editor.get_by_label("Anexos").set_input_files(str(report))
    editor.get_by_role("button", name="Responder ao cliente").click()
    expect(page.get_by_text("Resposta enviada ao cliente.")).to_be_visible()

    [sent] = mail.outbox
    assert sent.subject == f"Re: [#{ticket.pk}] Intimações do TJSP não chegam"
    assert sent.to == ["marina@lopesadv.com.br"]
    assert sent.from_email == "Suporte Web Planet <suporte@webplanet.test>"
    assert sent.attachments == [("relatório.pdf", b"%PDF-1.4 relatorio", "application/pdf")]
    assert sent.extra_headers["In-Reply-To"] == ticket.emails.get().message_id
    reply = page.locator(".msg-reply")
    expect(reply).to_contain_text("Resposta ao cliente")
    expect(reply).to_contain_text("enviada para marina@lopesadv.com.br")
    expect(reply.get_by_role("link", name="relatório.pdf")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.first_response_at == clock.now()  # T6: a response

    # The client answers in HTML, threaded by In-Reply-To on our reply only.
    clock.advance(dt.timedelta(minutes=30))
    assert receive(html_answer(sent.extra_headers["Message-ID"])) == "reply"
    page.reload()
    answer = page.locator(".msg-client").nth(1)
    expect(answer).to_contain_text("Obrigada! As intimações chegaram agora.")
    expect(answer).to_contain_text("Att,")
    expect(answer.locator("p.pre").first).not_to_contain_text("&nbsp;")
    expect(answer.locator("details.quoted")).to_contain_text("Reenviamos as intimações.")
    expect(answer.get_by_text("Ver o e-mail original como chegou")).to_be_visible()
    screenshot(page, "conversation-reply-threaded")
    assert carla.console_errors == []


def test_journey_internal_note_stays_internal_and_reply_and_wait_moves_the_ticket_T4(
    session, make_user, clock
):
    carla_user = make_user(SUPPORT, username="carla", first_name="Carla")
    ticket = first_email("Relatório trava", "O relatório de prazos trava ao exportar.")
    desk.ticket_act(ticket, "analyse", actor=carla_user, reason="Reproduzindo o erro")
    clock.advance(dt.timedelta(minutes=10))

    carla = session("carla")
    page = carla.go(f"/suporte/chamados/{ticket.pk}/")
    editor = page.locator("#form-resposta")
    editor.get_by_label("Mensagem").fill("Erro reproduzido no ambiente de testes; é o PDF.")
    editor.get_by_role("button", name="Nota interna").click()
    expect(page.get_by_text("Nota interna registrada (não vai para o cliente).")).to_be_visible()
    note = page.locator(".msg-internal")
    expect(note).to_contain_text("Nota interna — não vai para o cliente")
    expect(note).to_contain_text("Erro reproduzido no ambiente de testes")
    assert mail.outbox == []

    # A refusal keeps what was typed: the text is only a placeholder.
    editor.get_by_label("Mensagem").fill("...")
    editor.get_by_role("button", name="Responder ao cliente").click()
    expect(editor.locator(".field-error")).to_contain_text("não valem como mensagem")
    expect(editor.get_by_label("Mensagem")).to_have_value("...")

    clock.advance(dt.timedelta(minutes=10))
    editor.get_by_label("Mensagem").fill("Pode nos enviar o arquivo que trava?")
    editor.get_by_role("button", name="Responder e aguardar o cliente").click()
    expect(
        page.get_by_text("Resposta enviada ao cliente; o chamado aguarda o cliente.")
    ).to_be_visible()
    expect(page.locator("dl.facts .state").first).to_have_text("Aguardando cliente")
    expect(page.locator(".msg-reply")).to_contain_text("Status: Em análise → Aguardando cliente")
    [sent] = mail.outbox
    assert sent.body == "Pode nos enviar o arquivo que trava?"
    assert "Erro reproduzido" not in sent.body
    ticket.refresh_from_db()
    assert ticket.state == Ticket.State.WAITING_CLIENT
    assert ticket.notes.filter(kind=TicketNote.Kind.INTERNAL).count() == 1
    screenshot(page, "conversation-note-and-wait")
    assert carla.console_errors == []


def test_journey_two_agents_on_one_ticket_see_each_other_in_the_collision_warning(
    session, make_user, clock
):
    make_user(SUPPORT, username="carla", first_name="Carla")
    make_user(SUPPORT, username="diego", first_name="Diego")
    ticket = first_email("Intimações do TJSP não chegam", "Bom dia, desde ontem nada chega.")
    path = f"/suporte/chamados/{ticket.pk}/"

    carla = session("carla")
    carla_page = carla.go(path)
    diego = session("diego")
    diego_page = diego.go(path)
    expect(diego_page.locator("#presenca")).to_contain_text("Carla está vendo este chamado agora")

    carla_page.locator("#reply-text").fill("Rascunho da Carla")
    diego_page.locator("#reply-text").click()
    diego_page.locator("#reply-text").press_sequentially("Oi, Dra.")
    warning = carla_page.locator("#presenca")
    expect(warning).to_contain_text("Diego está respondendo este chamado agora", timeout=15_000)
    expect(diego_page.locator("#presenca")).to_contain_text(
        "Carla está respondendo este chamado agora", timeout=15_000
    )
    # The poll changes only the warning: what Carla typed is still there.
    expect(carla_page.locator("#reply-text")).to_have_value("Rascunho da Carla")
    screenshot(carla_page, "conversation-collision-warning")
    assert carla.console_errors == [] and diego.console_errors == []


def test_journey_inline_images_show_in_the_thread_and_in_the_original_frame_T1(
    session, make_user, clock
):
    """An Outlook multipart/related e-mail: its cid: image is drawn under the message (marked
    as in the e-mail's body) and inside the sandboxed original, from this server only."""
    make_user(SUPPORT, username="carla", first_name="Carla")
    raw = (CORPUS / "outlook_related_cid_image.eml").read_bytes()
    assert mailbox.mailbox_import_message(raw, folder="INBOX", uid=next(uids), uidvalidity=1) == (
        "new_ticket"
    )
    ticket = Ticket.objects.get()

    carla = session("carla")
    page = carla.go(f"/suporte/chamados/{ticket.pk}/")
    message = page.locator(".msg-client").first
    expect(message).to_contain_text("imagem no corpo do e-mail")
    thumbnail = message.get_by_role("img", name="image001.png")
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 24

    message.get_by_text("Ver o e-mail original como chegou").click()
    frame = message.frame_locator("iframe[title='E-mail original do cliente']")
    expect(frame.get_by_text("Ao gerar o relatório de prazos")).to_be_visible()
    framed = frame.get_by_role("img", name="Erro na tela de prazos")
    assert framed.evaluate("img => img.decode().then(() => img.naturalWidth)") == 24
    screenshot(page, "conversation-inline-image")
    assert carla.console_errors == []


def test_journey_the_author_edits_an_internal_note_and_its_earlier_text_stays_T4(
    session, make_user, clock
):
    carla_user = make_user(SUPPORT, username="carla", first_name="Carla")
    make_user(SUPPORT, username="diego", first_name="Diego")
    ticket = first_email("Boleto duplicado", "Recebi dois boletos do mesmo mês.")
    desk.ticket_act(ticket, "analyse", actor=carla_user, reason="Conferindo no financeiro")
    carla = session("carla")
    page = carla.go(f"/suporte/chamados/{ticket.pk}/")
    editor = page.locator("#form-resposta")
    editor.get_by_label("Mensagem").fill("Financeiro diz que o segundo boleto é do mês 5.")
    editor.get_by_role("button", name="Nota interna").click()
    note = page.locator(".msg-internal")
    expect(note).to_contain_text("segundo boleto é do mês 5")

    clock.advance(dt.timedelta(minutes=7))
    note.get_by_role("link", name="Editar nota").click()
    form = page.locator("#form-nota")
    expect(form.get_by_label("Texto da nota", exact=False)).to_have_value(
        "Financeiro diz que o segundo boleto é do mês 5."
    )
    form.get_by_label("Texto da nota", exact=False).fill(
        "Financeiro: o segundo boleto é do mês 6, não do 5."
    )
    form.get_by_role("button", name="Salvar a nota").click()
    expect(
        page.get_by_text("Nota interna editada; a versão anterior fica no histórico.")
    ).to_be_visible()
    note = page.locator(".msg-internal")
    expect(note).to_contain_text("do mês 6, não do 5")
    expect(note).to_contain_text("editada em")
    note.locator("summary", has_text="Versões anteriores").click()
    expect(note.locator("details")).to_contain_text("segundo boleto é do mês 5.")
    assert mail.outbox == []
    assert carla.console_errors == []

    # Another agent sees the note, not the way to edit it.
    diego = session("diego")
    page = diego.go(f"/suporte/chamados/{ticket.pk}/")
    expect(page.locator(".msg-internal")).to_contain_text("do mês 6")
    expect(page.locator(".msg-internal").get_by_role("link", name="Editar nota")).to_have_count(0)
