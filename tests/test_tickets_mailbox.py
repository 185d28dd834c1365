"""T1: e-mail intake against a real IMAP server (dovecot on 127.0.0.1, started here)."""

import imaplib
import re
import socket
import uuid
from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse
from django_q.models import Schedule
from imap_tools import MailBoxUnencrypted

from tests.sales_fixtures import make_ficha
from tests.test_tickets_mime import CORPUS, EXPECTED
from tests.tickets_support import dovecot
from tickets import desk, mailbox
from tickets.models import EmailAttachment, InboundEmail, MailboxState, Ticket, TicketNote
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% print do erro\n" + bytes(range(256))


@pytest.fixture(scope="session")
def imap_server():
    binary = dovecot.ensure_installed()
    if binary is None:
        pytest.skip("dovecot-imapd is not installed and cannot be (needs root + apt-get)")
    server = dovecot.Dovecot(binary).start()
    yield server
    server.stop()


@pytest.fixture
def imap(imap_server, settings, clock):
    """A fresh folder per test on the real server; the poller is configured to read it."""
    folder = f"suporte-{uuid.uuid4().hex[:8]}"
    conn = imaplib.IMAP4("127.0.0.1", imap_server.port)
    conn.login(dovecot.USER, dovecot.PASSWORD)
    conn.create(folder)
    settings.SUPPORT_IMAP_HOST = "127.0.0.1"
    settings.SUPPORT_IMAP_PORT = imap_server.port
    settings.SUPPORT_IMAP_SSL = "false"
    settings.SUPPORT_IMAP_USER = dovecot.USER
    settings.SUPPORT_IMAP_PASSWORD = dovecot.PASSWORD
    settings.SUPPORT_IMAP_FOLDER = folder
    settings.SUPPORT_EMAIL_FROM = "Suporte Web Planet <suporte@webplanet.test>"

    def deliver(message) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        typ, _ = conn.append(folder, None, None, raw)
        assert typ == "OK"

    deliver.conn, deliver.folder = conn, folder
    yield deliver
    conn.logout()


@pytest.fixture
def imap_folder(imap_server, settings, clock):
    """A folder of the given name (any language) on the real server, read by the poller;
    returns an imap-tools mailbox to deliver into it and look at it."""
    boxes = []

    def make(name):
        box = MailBoxUnencrypted("127.0.0.1", imap_server.port)
        box.login(dovecot.USER, dovecot.PASSWORD, initial_folder=None)
        box.folder.create(name)
        box.folder.set(name)
        settings.SUPPORT_IMAP_HOST = "127.0.0.1"
        settings.SUPPORT_IMAP_PORT = imap_server.port
        settings.SUPPORT_IMAP_SSL = "false"
        settings.SUPPORT_IMAP_USER = dovecot.USER
        settings.SUPPORT_IMAP_PASSWORD = dovecot.PASSWORD
        settings.SUPPORT_IMAP_FOLDER = name
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        box.logout()


def client_email(subject="Intimações não chegam", body="Desde ontem não recebo nada.", **headers):
    msg = EmailMessage()
    msg["From"] = headers.pop("sender", "Dra. Marina Lopes <marina@lopesadv.com.br>")
    msg["To"] = "suporte@webplanet.test"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", f"<{uuid.uuid4().hex}@lopesadv.com.br>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_T1_new_message_becomes_a_ticket_with_its_attachment(imap):
    ficha = make_ficha(name="Lopes Advocacia", email="MARINA@lopesadv.com.br")
    msg = client_email()
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="erro.pdf")
    imap(msg)

    assert mailbox.poll() == "new_ticket=1, reply=0, failed=0, duplicate=0"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester, ticket.requester_email, ticket.ficha) == (
        "email",
        "Dra. Marina Lopes",
        "marina@lopesadv.com.br",
        ficha,
    )
    assert (ticket.subject, ticket.description) == (
        "Intimações não chegam",
        "Desde ontem não recebo nada.",
    )
    assert ticket.created_by is None and ticket.response_due_at is not None  # SLA runs (T6)
    attachment = EmailAttachment.objects.get()
    assert (attachment.filename, bytes(attachment.content), attachment.ticket) == (
        "erro.pdf",
        PDF,
        ticket,
    )
    # Read on the server too, and the page offers the download.
    imap.conn.select(imap.folder)
    assert imap.conn.search(None, "UNSEEN")[1] == [b""]
    support = Client()
    support.force_login(_support_user())
    page = support.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "erro.pdf" in page
    download = support.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert download.content == PDF and download["Content-Type"] == "application/pdf"


def _support_user():
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username=f"sup{uuid.uuid4().hex[:6]}", first_name="Carla")
    user.groups.set(Group.objects.filter(name=SUPPORT))
    return user


def test_T1_never_imports_the_same_message_twice(imap):
    msg = client_email(message_id="<mesma-mensagem@lopesadv.com.br>")
    imap(msg)
    imap(msg)  # the same message delivered twice (two UIDs)
    assert mailbox.poll() == "new_ticket=1, reply=0, failed=0, duplicate=1"
    assert mailbox.poll() == "new_ticket=0, reply=0, failed=0, duplicate=0"
    MailboxState.objects.update(last_uid=0)  # even if the poller forgot where it was
    assert mailbox.poll() == "new_ticket=0, reply=0, failed=0, duplicate=2"
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_T1_replies_thread_by_in_reply_to_and_by_ticket_tag(imap):
    first = client_email(message_id="<primeira@lopesadv.com.br>")
    imap(first)
    mailbox.poll()
    ticket = Ticket.objects.get()
    support = _support_user()
    desk.ticket_act(ticket, "analyse", actor=support, reason="olhando")
    desk.ticket_act(ticket, "ask_client", actor=support, reason="Qual o número do processo?")

    imap(
        client_email(
            subject="Re: Intimações não chegam",
            body="É o processo 0001234-55.",
            In_Reply_To="<primeira@lopesadv.com.br>",
        )
    )
    imap(client_email(subject=f"Mais uma coisa {ticket.tag}", body="Também no TJRJ."))
    assert mailbox.poll() == "new_ticket=0, reply=2, failed=0, duplicate=0"
    ticket.refresh_from_db()
    assert ticket.state == "em_analise"  # the client answered: back to analysis (T4)
    notes = TicketNote.objects.filter(ticket=ticket, kind="email_in").order_by("pk")
    assert [n.text for n in notes] == ["É o processo 0001234-55.", "Também no TJRJ."]
    assert Ticket.objects.count() == 1


def test_T1_support_answer_goes_out_with_the_tag_and_the_client_reply_threads_on_it(
    imap, mailoutbox
):
    imap(client_email(message_id="<pedido@lopesadv.com.br>"))
    mailbox.poll()
    ticket = Ticket.objects.get()
    support = _support_user()
    desk.ticket_act(ticket, "respond", actor=support, reason="Estamos verificando o robô do TJSP.")
    [sent] = mailoutbox
    assert sent.subject == f"Re: {ticket.tag} Intimações não chegam"
    assert sent.to == ["marina@lopesadv.com.br"]
    assert sent.extra_headers["In-Reply-To"] == "<pedido@lopesadv.com.br>"
    assert sent.body == "Estamos verificando o robô do TJSP."

    desk.ticket_act(ticket, "conclude", actor=support, reason="Corrigido, já chegaram.")
    ours = mailoutbox[-1].extra_headers["Message-ID"]
    imap(client_email(subject="Re: obrigado", body="Voltou a falhar hoje.", References=ours))
    mailbox.poll()
    ticket.refresh_from_db()
    assert ticket.state == "em_analise"  # a concluded ticket reopens on the client's answer


def test_T1_malformed_message_is_kept_logged_and_skipped(imap, caplog):
    imap(b"Subject: sem remetente\r\nMessage-ID: <quebrada@x>\r\n\r\nnada\r\n")
    imap(
        b"From: a@b.com.br\r\nSubject: charset estranho\r\nMessage-ID: <charset@x>\r\n"
        b"Content-Type: text/plain; charset=nao-existe\r\n\r\n\xff\xfe texto\r\n"
    )
    imap(client_email(subject="Depois da quebrada"))
    assert mailbox.poll() == "new_ticket=1, reply=0, failed=2, duplicate=0"
    failed = InboundEmail.objects.filter(outcome="failed").order_by("uid")
    assert [f.message_id for f in failed] == ["<quebrada@x>", "<charset@x>"]
    assert b"sem remetente" in bytes(failed[0].raw)
    assert "not imported" in caplog.text
    assert Ticket.objects.get().subject == "Depois da quebrada"
    assert mailbox.poll() == "new_ticket=0, reply=0, failed=0, duplicate=0"
    page = Client()
    page.force_login(_support_user())
    html = page.get(reverse("tickets:inbox")).content.decode()
    assert "2 e-mail(s) não puderam ser importados" in html
    raw = page.get(reverse("tickets:inbox_raw", args=[failed[0].pk]))
    assert raw.content == bytes(failed[0].raw)


def test_T1_server_down_or_wrong_password_is_reported_not_raised(imap, settings):
    settings.SUPPORT_IMAP_PASSWORD = "senha-errada"
    assert mailbox.poll().startswith("error:")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings.SUPPORT_IMAP_PORT = sock.getsockname()[1]
    assert mailbox.poll().startswith("unreachable:")
    assert MailboxState.objects.get().last_error
    assert not Ticket.objects.exists()


def test_T1_a_django_q_schedule_polls_the_mailbox_every_minute(db, settings):
    schedule = Schedule.objects.get(name="tickets.poll_mailbox")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "tickets.mailbox.poll",
        Schedule.MINUTES,
        1,
    )
    settings.SUPPORT_IMAP_HOST = ""
    assert mailbox.poll() == "mailbox not configured"


def test_T1_a_folder_named_in_portuguese_is_read(imap_folder):
    name = f"Solicitações de clientes {uuid.uuid4().hex[:6]}"
    box = imap_folder(name)
    box.append(client_email(message_id="<pasta-acentuada@lopesadv.com.br>").as_bytes(), name)
    assert mailbox.poll() == "new_ticket=1, reply=0, failed=0, duplicate=0"
    assert mailbox.poll() == "new_ticket=0, reply=0, failed=0, duplicate=0"
    state = MailboxState.objects.get()
    assert (state.folder, state.last_error, state.last_uid) == (name, "", 1)
    box.folder.set(name)  # a fresh look at the folder
    assert box.uids("UNSEEN") == []  # marked read on the server
    assert InboundEmail.objects.get().folder == name


def test_T1_the_real_world_corpus_through_imap_imports_each_message_once(imap_folder):
    name = f"Solicitações-corpus-{uuid.uuid4().hex[:6]}"
    box = imap_folder(name)
    for path in sorted(CORPUS.glob("*.eml")):
        box.append(path.read_bytes(), name)
    total = len(EXPECTED)
    assert mailbox.poll() == f"new_ticket={total}, reply=0, failed=0, duplicate=0"
    assert mailbox.poll() == "new_ticket=0, reply=0, failed=0, duplicate=0"
    # A new UIDVALIDITY renumbers the folder: read again, nothing imported twice.
    MailboxState.objects.update(uidvalidity=1)
    assert mailbox.poll() == f"new_ticket=0, reply=0, failed=0, duplicate={total}"
    assert MailboxState.objects.get().uidvalidity != 1
    assert Ticket.objects.count() == InboundEmail.objects.count() == total
    kept = sorted(EmailAttachment.objects.values_list("filename", flat=True))
    assert kept == sorted(n for names, _ in EXPECTED.values() for n in names)
    assert not EmailAttachment.objects.filter(size=0).exists()


def test_T1_a_malformed_message_is_flagged_on_the_server_and_imported_ones_are_seen(imap):
    """T1, on the real IMAP server: the message kept raw and skipped is \\Flagged and left
    unread for a person to see in their mail client; the imported one is \\Seen."""
    imap(b"Subject: sem remetente\r\nMessage-ID: <quebrada@x>\r\n\r\nnada\r\n")
    imap(client_email(subject="Depois da quebrada"))
    assert mailbox.poll() == "new_ticket=1, reply=0, failed=1, duplicate=0"
    conn = imap.conn
    conn.select(imap.folder, readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
    assert typ == "OK"
    flags = {
        int(re.search(rb"UID (\d+)", line).group(1)): set(
            re.search(rb"FLAGS \(([^)]*)\)", line).group(1).split()
        )
        for line in data
    }
    assert flags == {1: {b"\\Flagged"}, 2: {b"\\Seen"}}
    assert InboundEmail.objects.get(uid=1).outcome == "failed"
