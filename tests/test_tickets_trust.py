"""T1: mail intake you can trust — only the ticket's client touches its ticket, Message-IDs are
per sender, the raw message is bounded, attachment names are safe, short mails import.

Messages are imported with `mailbox.mailbox_import_message` (what the IMAP poller calls per
message); the IMAP round trip itself is covered in test_tickets_mailbox.py.
"""

import uuid
from email.message import EmailMessage

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.sales_fixtures import make_ficha
from tests.tickets_support.helpers import new_ticket
from tickets import desk, mailbox
from tickets.models import EmailAttachment, InboundEmail, Ticket, TicketNote
from workflows.models import AuditEntry
from workflows.roles import SUPPORT, SUPPORT_DEV

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% comprovante\n" + bytes(range(256))
CLIENT = "Dra. Marina Lopes <marina@lopesadv.com.br>"
STRANGER = "Golpista <cobranca@falso.example>"


def mail(subject="Intimações não chegam", body="Desde ontem não recebo nada.", **headers):
    msg = EmailMessage()
    msg["From"] = headers.pop("sender", CLIENT)
    msg["To"] = "suporte@webplanet.test"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<{uuid.uuid4().hex}@lopesadv.com.br>")
    attachment = headers.pop("attachment", None)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf")
        msg.get_payload()[-1].replace_header(
            "Content-Disposition", f'attachment; filename="{attachment[0]}"'
        )
    return msg.as_bytes()


def receive(raw) -> str:
    return mailbox.mailbox_import_message(raw, folder="INBOX", uid=1, uidvalidity=1)


@pytest.fixture
def support(make_user):
    return make_user(SUPPORT, first_name="Carla")


@pytest.fixture
def concluded(support, clock):
    """Marina's ticket (opened by her e-mail), answered and concluded."""
    assert receive(mail(message_id="<pedido@lopesadv.com.br>")) == "new_ticket"
    ticket = Ticket.objects.get()
    desk.ticket_act(ticket, "conclude", actor=support, reason="Corrigido, já chegaram.")
    return Ticket.objects.get(pk=ticket.pk)


def snapshot(ticket):
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.state,
        ticket.version,
        ticket.response_due_at,
        ticket.resolution_due_at,
        ticket.resolved_at,
        ticket.attachments.count(),
        ticket.notes.count(),
        ticket.emails.count(),
        AuditEntry.for_object(ticket).count(),
    )


# -- spoofed tag / In-Reply-To ------------------------------------------------------------------


@pytest.mark.parametrize("how", ["tag", "in_reply_to", "references_to_our_answer"])
def test_T1_spoofed_tag_mail_leaves_the_other_clients_ticket_untouched(
    concluded, support, mailoutbox, how
):
    before = snapshot(concluded)
    headers = {"sender": STRANGER, "attachment": ("boleto.pdf", PDF)}
    if how == "tag":
        headers["subject"] = f"Re: {concluded.tag} segunda via"
    elif how == "in_reply_to":
        headers["In_Reply_To"] = "<pedido@lopesadv.com.br>"
    else:
        headers["References"] = mailoutbox[-1].extra_headers["Message-ID"]

    assert receive(mail(body="Segue o boleto atualizado.", **headers)) == "new_ticket"

    assert snapshot(concluded) == before  # no attachment, no note, no reopen, no SLA change
    assert Ticket.objects.get(pk=concluded.pk).state == "concluido"
    new = Ticket.objects.exclude(pk=concluded.pk).get()
    assert new.suspected_reply_to == concluded
    assert (new.requester_email, new.description) == (
        "cobranca@falso.example",
        "Segue o boleto atualizado.",
    )
    assert EmailAttachment.objects.get().ticket == new
    page = as_user(support).get(reverse("tickets:detail", args=[new.pk])).content.decode()
    assert f"Possível resposta ao chamado {concluded.tag}" in page
    assert reverse("tickets:link_reply", args=[new.pk]) in page


def test_T1_the_clients_own_address_or_the_fichas_still_threads(support, clock):
    ficha = make_ficha(name="Lopes Advocacia", email="socio@lopesadv.com.br")
    ticket = new_ticket(support, ficha=ficha, requester_email="marina@lopesadv.com.br")
    desk.ticket_act(ticket, "analyse", actor=support, reason="olhando")
    desk.ticket_act(ticket, "ask_client", actor=support, reason="Qual o processo?")
    assert receive(mail(subject=f"Re: {ticket.tag}", body="É o 0001234-55.")) == "reply"
    partner = "Sócio <SOCIO@lopesadv.com.br>"  # the ficha's e-mail, any case
    assert receive(mail(subject=f"Re: {ticket.tag}", body="Também no TJRJ.", sender=partner))
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.state == "em_analise"
    notes = ticket.notes.filter(kind="email_in").order_by("pk")
    assert [n.text for n in notes] == ["É o 0001234-55.", "Também no TJRJ."]


def test_T1_support_links_a_possible_reply_with_one_click(concluded, support):
    receive(
        mail(
            subject=f"Re: {concluded.tag}",
            body="Escrevo do meu e-mail pessoal: voltou a falhar.",
            sender="Marina <marina.lopes@gmail.example>",
            attachment=("print.pdf", PDF),
        )
    )
    new = Ticket.objects.get(suspected_reply_to=concluded)
    client = as_user(support)
    response = client.post(reverse("tickets:link_reply", args=[new.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[concluded.pk])
    concluded.refresh_from_db()
    new.refresh_from_db()
    assert concluded.state == "em_analise"  # the client's reply reopened it
    assert new.state == "concluido" and new.resolved_at is not None
    reply = concluded.notes.get(kind="email_in")
    assert reply.text == "Escrevo do meu e-mail pessoal: voltou a falhar."
    assert reply.external_author == "Marina <marina.lopes@gmail.example>"
    assert [a.filename for a in concluded.attachments.all()] == ["print.pdf"]
    assert concluded.emails.count() == 2 and not new.emails.exists()
    entry = AuditEntry.for_object(new).get()
    assert (entry.event, entry.actor, entry.rule_ids) == ("link_reply", support, ["T1"])
    page = client.get(reverse("tickets:detail", args=[new.pk])).content.decode()
    assert f"Vinculado ao chamado {concluded.tag}" in page
    # Once linked, a second click is refused by the machine (422) and changes nothing.
    again = client.post(reverse("tickets:link_reply", args=[new.pk]))
    assert again.status_code == 422
    assert concluded.notes.filter(kind="email_in").count() == 1


@pytest.mark.parametrize("role", [None, SUPPORT_DEV])
def test_T1_only_support_staff_may_link_a_possible_reply(concluded, make_user, role):
    receive(mail(subject=f"Re: {concluded.tag}", sender=STRANGER))
    new = Ticket.objects.get(suspected_reply_to=concluded)
    user = make_user(role) if role else make_user()
    before = (snapshot(concluded), snapshot(new))
    response = as_user(user).post(reverse("tickets:link_reply", args=[new.pk]))
    assert response.status_code == 403
    assert (snapshot(concluded), snapshot(new)) == before


def test_T1_link_is_refused_on_a_ticket_that_is_no_possible_reply(support, clock):
    ticket = new_ticket(support)
    response = as_user(support).post(reverse("tickets:link_reply", args=[ticket.pk]))
    assert response.status_code == 422
    assert "não é uma possível resposta" in response.content.decode()


# -- Message-ID per sender -----------------------------------------------------------------------


def test_T1_a_squatted_message_id_does_not_drop_the_real_clients_mail(clock):
    squatted = "<resposta-da-marina@lopesadv.com.br>"
    assert receive(mail(sender=STRANGER, message_id=squatted, body="Spam spam.")) == "new_ticket"
    assert receive(mail(message_id=squatted, body="A mensagem verdadeira.")) == "new_ticket"
    assert receive(mail(message_id=squatted, body="A mensagem verdadeira.")) == "duplicate"
    assert sorted(Ticket.objects.values_list("requester_email", flat=True)) == [
        "cobranca@falso.example",
        "marina@lopesadv.com.br",
    ]


def test_T1_in_reply_to_threads_on_the_same_senders_message_not_a_squatters(support, clock):
    assert receive(mail(message_id="<pedido@lopesadv.com.br>")) == "new_ticket"
    ticket = Ticket.objects.get()
    # A stranger reuses Marina's Message-ID: their own new ticket, nothing on Marina's.
    squat = mail(sender=STRANGER, message_id="<pedido@lopesadv.com.br>", subject="Oferta")
    assert receive(squat) == "new_ticket"
    squatter = Ticket.objects.exclude(pk=ticket.pk).get()
    # Marina answers her own message: it threads on her ticket, not the squatter's.
    assert receive(mail(In_Reply_To="<pedido@lopesadv.com.br>", body="Alguma novidade?")) == (
        "reply"
    )
    assert ticket.notes.get(kind="email_in").text == "Alguma novidade?"
    assert not squatter.notes.filter(kind="email_in").exists()


def test_T1_in_reply_to_another_senders_message_is_a_possible_reply(clock):
    receive(mail(sender=STRANGER, message_id="<isca@falso.example>", subject="Oferta"))
    bait = Ticket.objects.get()
    assert receive(mail(In_Reply_To="<isca@falso.example>", body="Quem é?")) == "new_ticket"
    assert not bait.notes.filter(kind="email_in").exists()
    marina = Ticket.objects.get(requester_email="marina@lopesadv.com.br")
    assert marina.suspected_reply_to == bait


# -- bounded raw message, attachment names, short mails, long subjects ----------------------------


def test_T1_a_message_over_the_size_limit_keeps_headers_and_text_not_the_raw(clock, settings):
    settings.SUPPORT_EMAIL_MAX_BYTES = 50_000
    big = b"%PDF" + b"x" * 80_000
    raw = mail(body="Segue o PDF grande.", attachment=("grande.pdf", big))
    assert receive(raw) == "new_ticket"
    inbound = InboundEmail.objects.get()
    assert (inbound.raw_truncated, inbound.raw_size) == (True, len(raw))
    stored = bytes(inbound.raw)
    assert len(stored) < 5_000 and b"Subject: " in stored and b"Segue o PDF grande." in stored
    ticket = inbound.ticket
    assert not ticket.attachments.exists()
    notes = [n.text for n in ticket.notes.filter(kind="internal")]
    assert any("o original não foi guardado" in n for n in notes)
    assert any("grande.pdf" in n and "acima do limite" in n for n in notes)


def test_T1_attachments_together_stay_within_the_limit(clock, settings):
    settings.SUPPORT_EMAIL_MAX_BYTES = 3_500
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = CLIENT, "Dois anexos", "<dois@lopes>"
    msg.set_content("Seguem.")
    for name in ("a.pdf", "b.pdf"):
        msg.add_attachment(b"y" * 2_000, maintype="application", subtype="pdf", filename=name)
    receive(msg.as_bytes())
    assert list(EmailAttachment.objects.values_list("filename", flat=True)) == ["a.pdf"]


@pytest.mark.parametrize(
    "name, kept",
    [
        ("nota\r\nSet-Cookie: x=1.pdf", "nota_Set-Cookie: x=1.pdf"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("C:\\Users\\marina\\erro.pdf", "C:_Users_marina_erro.pdf"),
        ("nul\x00byte.pdf", "nul_byte.pdf"),
        ("\r\n", "anexo"),
    ],
)
def test_T1_attachment_names_are_sanitised_and_download(support, clock, name, kept):
    assert mailbox.safe_filename(name) == kept
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = CLIENT, "Anexo", f"<{uuid.uuid4()}@x>"
    msg.set_content("Segue.")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="x.pdf")
    receive(msg.as_bytes())
    attachment = EmailAttachment.objects.get()
    assert attachment.filename == "x.pdf"
    # A name stored before sanitising (CR/LF) must not break the download (BadHeaderError).
    if connection.vendor == "postgresql":  # a NUL could never be stored there
        name = name.replace("\x00", "")
    EmailAttachment.objects.filter(pk=attachment.pk).update(filename=name)
    response = as_user(support).get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response.content == PDF
    assert "\n" not in response["Content-Disposition"]


def test_T1_a_crlf_attachment_name_in_a_mail_is_kept_sanitised(support, clock):
    boundary = "XYZ"
    raw = (
        f"From: {CLIENT}\r\nSubject: anexo\r\nMessage-ID: <crlf@lopes>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nSegue.\r\n"
        f"--{boundary}\r\nContent-Type: application/pdf\r\n"
        "Content-Disposition: attachment; filename*=utf-8''nota%0D%0AX-Evil%3A%201.pdf\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--{boundary}--\r\n"
    ).encode()
    assert receive(raw) == "new_ticket"
    attachment = EmailAttachment.objects.get()
    assert "\r" not in attachment.filename and "\n" not in attachment.filename
    response = as_user(support).get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("body", ["ok", "1", "Hi", ""])
def test_T1_short_bodies_import(clock, body):
    assert receive(mail(subject="Hi", body=body)) == "new_ticket"
    ticket = Ticket.objects.get()
    assert ticket.subject == "(e-mail sem assunto)"
    assert (body or "sem texto") in ticket.description


def test_T1_short_reply_imports_on_the_clients_ticket(concluded):
    assert receive(mail(subject=f"Re: {concluded.tag}", body="ok")) == "reply"
    assert concluded.notes.get(kind="email_in").text == "ok"


def test_T1_a_subject_over_the_column_is_cut_not_refused(clock):
    subject = "Intimações " + "muito longas " * 40
    assert receive(mail(subject=subject)) == "new_ticket"
    ticket = Ticket.objects.get()
    assert len(ticket.subject) <= 200 and ticket.subject.startswith("Intimações muito longas")
    assert InboundEmail.objects.get().subject == " ".join(subject.split())[:255]


def test_T1_nul_bytes_in_a_mail_are_dropped_not_a_failure(clock):
    raw = mail(subject="Com\x00nulo", body="Texto com \x00 nulo no meio.")
    assert receive(raw) == "new_ticket"
    ticket = Ticket.objects.get()
    assert "\x00" not in ticket.subject + ticket.description


def test_T1_a_sender_address_django_refuses_still_imports_without_a_reply_address(clock):
    assert receive(mail(sender="Marina <marina@lopesadv>")) == "new_ticket"  # no TLD
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.requester_email) == ("Marina", "")


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_T1_the_link_page_is_the_one_click_form_on_get(concluded, support):
    receive(mail(subject=f"Re: {concluded.tag}", sender=STRANGER))
    new = Ticket.objects.get(suspected_reply_to=concluded)
    page = as_user(support).get(reverse("tickets:link_reply", args=[new.pk]))
    assert page.status_code == 200
    assert f"Vincular ao chamado {concluded.tag}" in page.content.decode()
    assert TicketNote.objects.filter(ticket=concluded, kind="email_in").count() == 0


def test_T1_a_malformed_message_over_the_limit_is_kept_bounded(clock, settings):
    settings.SUPPORT_EMAIL_MAX_BYTES = 10_000
    raw = b"Subject: sem remetente\r\nMessage-ID: <grande@x>\r\n\r\n" + b"z" * 50_000
    assert receive(raw) == "failed"
    failed = InboundEmail.objects.get()
    assert failed.raw_truncated and failed.raw_size == len(raw)
    assert len(bytes(failed.raw)) < 1_000 and b"sem remetente" in bytes(failed.raw)
