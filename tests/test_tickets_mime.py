"""T1: reading real-world mail — every file at any depth, forwarded messages, inline images,
readable text from HTML, quoted history folded, the original HTML in a sandboxed frame, and
downloads with a correct Content-Disposition for any file name.

The corpus (tests/tickets_support/mail_corpus/, see its README) holds messages shaped by Gmail,
Outlook, Apple Mail / iPhone, Thunderbird, Postfix bounces, a scanner and others, some of them
real samples from mail-parser's test corpus. Messages are imported with
`mailbox.mailbox_import_message`; the IMAP round trip of the same corpus is in
test_tickets_mailbox.py.
"""

import email
import email.policy
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tickets import mailbox, mime
from tickets.models import EmailAttachment, InboundEmail, Ticket
from workflows.roles import SUPPORT

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).parent / "tickets_support" / "mail_corpus"
ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,5});")
TAG = re.compile(
    r"<\s*/?\s*(?:html|head|body|div|p|br|span|table|tr|td|a|img|b|i|u|font|style|"
    r"blockquote|meta|o:p)\b[^>]*>",
    re.IGNORECASE,
)

# file -> (the attachment names kept, a phrase the ticket text must show)
EXPECTED = {
    "empty_body_hi.eml": ([], "(e-mail sem texto)"),
    "gmail_alternative_reply.eml": ([], "intimações do TJSP & do TRF3"),
    "iphone_reply_inline_image.eml": (["IMG_4821.png"], "Segue o print da tela."),
    "long_subject_300.eml": ([], "Assunto longo de propósito"),
    "mailparser_bounce_rfc822_headers.eml": (
        ["DSN57BAC498.txt", "cabecalhos-da-mensagem-original.txt"],
        "User's mailbox quota exceeded",
    ),
    "mailparser_html_png_text_mixed.eml": (["imagem-1.png"], "HTML here\n\nPlaintext here."),
    "mailparser_mac_outlook_alternative.eml": ([], "Test"),
    "mailparser_marketing_alternative.eml": ([], "Real World Flying"),
    "mailparser_outlook_express_gb2312.eml": ([], "你好！我公司可代开各类增值税发票"),
    "mailparser_outlook_ios_attachment_notice.eml": (
        ["message.txt"],
        "I am sending you the bills",
    ),
    "nested_files_depth3.eml": (
        ["contrato_social.pdf", "oab_frente.jpg", "processos.csv"],
        "Seguem os documentos do cadastro em anexo.",
    ),
    "outlook_related_cid_image.eml": (
        ["image001.png"],
        "Ao gerar o relatório de prazos aparece a mensagem abaixo:",
    ),
    "outlook_html_windows1252.eml": (
        [],
        "aparece a mensagem “Erro 500” – já tentei no Chrome & no Edge.\n\n"
        "Müller & Associados usa o mesmo login.\n\nAtenciosamente,",
    ),
    "postfix_bounce_report.eml": (
        ["relatorio-de-entrega.txt", "Re: [#17] Intimações não chegam.eml"],
        "> Estamos verificando o robô do TJSP.",
    ),
    "rfc2231_international_names.eml": (
        ["請求書.pdf", "Договор поставки.docx", "Zażółć gęślą jaźń.txt", "✔ ok.txt"],
        "Anexos com nomes em japonês, russo e polonês.",
    ),
    "scanner_attachment_only.eml": (["scan_20241014.pdf"], "(e-mail sem texto; veja os anexos)"),
    "short_body_1.eml": ([], "Mensagem curta do cliente: “1”"),
    "thunderbird_forward_as_attachment.eml": (
        ["Intimação eletrônica.eml"],
        "> Processo 1001234-55.2024.8.26.0100: intimação disponível – prazo de 15 dias.",
    ),
    "thunderbird_related_unnamed_image.eml": (
        ["part1.Xq3mYJ2f.UeO1hV7s.png"],
        "O logo do cabeçalho está assim:\n\nDeveria ser o novo — enviamos em setembro.",
    ),
    "thunderbird_smime_signed.eml": (
        ["procuração.pdf", "smime.p7s"],
        "segue a procuração assinada com certificado ICP-Brasil.",
    ),
}


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def receive(raw: bytes) -> str:
    return mailbox.mailbox_import_message(raw, folder="INBOX", uid=1, uidvalidity=1)


def test_T1_every_corpus_message_has_its_expectation():
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_T1_corpus_message_imports_once_with_every_file_and_readable_text(clock, name):
    names, phrase = EXPECTED[name]
    raw = corpus(name)
    assert receive(raw) == "new_ticket"
    assert receive(raw) == "duplicate"  # never imported twice
    inbound = InboundEmail.objects.get()
    ticket = Ticket.objects.get()
    kept = list(EmailAttachment.objects.filter(email=inbound).values_list("filename", "size"))
    assert [n for n, _ in kept] == names
    assert all(size > 0 for _, size in kept)
    assert not ticket.notes.filter(kind="internal").exists()  # nothing refused or cut
    text = ticket.description
    assert phrase in text
    assert not ENTITY.search(text) and not TAG.search(text), text
    assert "\ufffd" not in text and "\n\n\n" not in text
    assert len(ticket.subject) <= 200 and len(inbound.subject) <= 255


def test_T1_a_300_character_subject_is_cut_to_the_columns_not_refused(clock):
    assert receive(corpus("long_subject_300.eml")) == "new_ticket"
    subject = str(
        email.message_from_bytes(corpus("long_subject_300.eml"), policy=email.policy.default)[
            "Subject"
        ]
    )
    assert len(subject) == 300
    assert Ticket.objects.get().subject == subject[:200].strip()
    assert InboundEmail.objects.get().subject == subject[:255]


def test_T1_forwarded_message_is_kept_whole_as_an_eml_and_quoted(clock):
    receive(corpus("thunderbird_forward_as_attachment.eml"))
    [eml] = EmailAttachment.objects.all()
    assert eml.content_type == "message/rfc822"
    inner = email.message_from_bytes(bytes(eml.content), policy=email.policy.default)
    assert inner["Message-ID"] == "<intimacao-998877@tjsp.jus.br>"
    [pdf] = [p for p in inner.iter_attachments() if p.get_filename() == "despacho.pdf"]
    assert pdf.get_content().startswith(b"%PDF-1.4")
    description = Ticket.objects.get().description
    assert "De: Sistema e-SAJ <nao-responda@tjsp.jus.br>" in description
    assert "Assunto: Intimação eletrônica" in description


def test_T1_an_attachment_only_message_keeps_its_file_and_says_so(clock):
    receive(corpus("scanner_attachment_only.eml"))
    ticket = Ticket.objects.get()
    assert ticket.description == "(e-mail sem texto; veja os anexos)"
    assert bytes(ticket.attachments.get().content).startswith(b"%PDF-1.4")


def test_T1_an_empty_message_does_not_claim_attachments(clock):
    receive(corpus("empty_body_hi.eml"))
    ticket = Ticket.objects.get()
    assert ticket.description == "(e-mail sem texto)" and not ticket.attachments.exists()


def test_T1_an_attachment_too_big_is_not_claimed_as_kept(clock, settings):
    settings.SUPPORT_EMAIL_MAX_BYTES = 100  # the scanner's PDF is 125 bytes
    receive(corpus("scanner_attachment_only.eml"))
    ticket = Ticket.objects.get()
    assert ticket.description == "(e-mail sem texto)" and not ticket.attachments.exists()
    notes = ticket.notes.filter(kind="internal").values_list("text", flat=True)
    assert any("scan_20241014.pdf" in n and "não foi guardado" in n for n in notes)


def test_T1_text_plain_is_preferred_in_an_alternative_and_the_html_kept():
    msg = email.message_from_bytes(
        corpus("gmail_alternative_reply.eml"), policy=email.policy.default
    )
    parsed = mime.parse(msg)
    assert parsed.text.startswith("Bom dia,\n\nO sistema continua sem abrir")
    assert '<div class="gmail_quote">' in parsed.html


@pytest.mark.parametrize(
    "html, text",
    [
        (
            "<p>Bom dia,</p><p>o sistema n&atilde;o abre &amp; a M&uuml;ller&nbsp;viu."
            "<br>Att,<br>Ana</p>",
            "Bom dia,\n\no sistema não abre & a Müller viu.\nAtt,\nAna",
        ),
        ('<a href="https://tjsp.jus.br/x">processo</a>', "[processo](https://tjsp.jus.br/x)"),
        ('<a href="https://tjsp.jus.br">https://tjsp.jus.br</a>', "https://tjsp.jus.br"),
        ('<a href="mailto:ana@x.com.br">ana@x.com.br</a>', "ana@x.com.br"),
        ("<p>a</p>" + "<p>&nbsp;</p>" * 6 + "<p>b</p>", "a\n\nb"),
        ("<p>1. primeiro</p><p>- item</p>", "1. primeiro\n\n- item"),
        ("<style>p {color: red}</style><script>alert(1)</script><p>ok</p>", "ok"),
    ],
)
def test_T1_html_becomes_readable_text(html, text):
    assert mime.tidy(mime.html_to_text(html)) == text


@pytest.mark.parametrize(
    "text, main, quoted",
    [
        (
            "Segue.\n\nEm qui., 3 de out. de 2024 às 09:12, Suporte <\nsuporte@x> escreveu:\n\n"
            "> Pode enviar?",
            "Segue.",
            "Em qui., 3 de out. de 2024 às 09:12, Suporte <\nsuporte@x> escreveu:\n\n"
            "> Pode enviar?",
        ),
        ("Ok.\n\nOn Mon, Oct 7, 2024 at 5:05 PM Ana wrote:\n> hi", "Ok.", "On Mon"),
        ("Certo.\n\n> linha 1\n>\n> linha 2\n", "Certo.", "> linha 1\n>\n> linha 2"),
        ("Ok.\n\n-----Mensagem original-----\nDe: A", "Ok.", "-----Mensagem original-----"),
        (
            "Ok.\n________________________________\nDe: Suporte <s@x>\nEnviado: ontem\nPara: A",
            "Ok.",
            "De: Suporte <s@x>",
        ),
        # Answers between quotes are the client's words: nothing folded.
        ("> pergunta 1\nresposta 1\n> pergunta 2\nresposta 2", None, ""),
        ("> tudo citado", None, ""),  # nothing above the quote: nothing folded
        ("Só texto.", None, ""),
    ],
)
def test_T1_quoted_history_is_found(text, main, quoted):
    found_main, found_quoted = mime.split_quoted(text)
    assert found_main == (text if main is None else main)
    assert found_quoted.startswith(quoted)


@pytest.fixture
def support_client(make_user):
    client = Client()
    client.force_login(make_user(SUPPORT, first_name="Carla"))
    return client


def test_T1_ticket_page_folds_the_quoted_history_and_frames_the_html(clock, support_client):
    receive(corpus("gmail_alternative_reply.eml"))
    ticket, inbound = Ticket.objects.get(), InboundEmail.objects.get()
    page = support_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    visible, folded = page.split('<details class="quoted">', 1)
    assert "O sistema continua sem abrir" in visible and "Pode nos enviar" not in visible
    assert "Pode nos enviar o número do processo?" in folded.split("</details>")[0]
    frame = re.search(r"<iframe[^>]*>", page).group()
    # No scripts, forms, pop-ups or navigation; the origin is kept for the inline images.
    assert re.search(r'\ssandbox="allow-same-origin"[\s>]', frame)
    assert reverse("tickets:email_html", args=[inbound.pk]) in frame


def test_T1_original_html_is_served_sandboxed_with_inline_images_and_nothing_remote(
    clock, support_client
):
    receive(corpus("thunderbird_related_unnamed_image.eml"))
    inbound = InboundEmail.objects.get()
    image = inbound.attachments.get()
    response = support_client.get(reverse("tickets:email_html", args=[inbound.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    csp = response["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src 'self';")
    assert "script" not in csp and "http" not in csp and "data:" not in csp
    assert csp.endswith("; sandbox allow-same-origin")  # never allow-scripts
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    # T1: the cid: reference points at the kept attachment, on this server.
    src = reverse("tickets:attachment", args=[image.pk])
    assert f'src="{src}"' in body and "cid:part1" not in body
    assert "https://tracker.example/pixel.gif" in body  # left as is: the CSP refuses it
    assert "Deveria ser o novo" in body


def test_T1_outlook_related_images_are_kept_with_their_content_id_and_shown_in_the_thread(
    clock, support_client
):
    """An Outlook multipart/related message: the image its HTML shows (cid:) is kept as an
    attachment with its Content-ID, drawn under the message in the thread and in the frame."""
    assert receive(corpus("outlook_related_cid_image.eml")) == "new_ticket"
    ticket, inbound = Ticket.objects.get(), InboundEmail.objects.get()
    image = EmailAttachment.objects.get()
    assert (image.filename, image.content_type) == ("image001.png", "image/png")
    assert image.content_id == "image001.png@01DB1985.6A2F3C40"
    assert bytes(image.content).startswith(b"\x89PNG")
    src = reverse("tickets:attachment", args=[image.pk])
    page = support_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    history = page.split("<h2>Histórico</h2>", 1)[1]
    first = history.split('<li class="msg msg-client"', 2)[1]
    assert f'<img src="{src}" alt="image001.png"' in first
    assert "imagem no corpo do e-mail" in first
    frame = support_client.get(reverse("tickets:email_html", args=[inbound.pk]))
    assert f'src="{src}" alt="Erro na tela de prazos"' in frame.content.decode()
    download = support_client.get(src)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"


def test_T1_an_image_without_a_plain_type_or_too_big_is_not_drawn(clock, support_client):
    receive(corpus("outlook_related_cid_image.eml"))
    ticket, inbound = Ticket.objects.get(), InboundEmail.objects.get()
    EmailAttachment.objects.update(content_type="image/png; x=1")
    page = support_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "imagem no corpo do e-mail</span></li>" not in page.split("<h2>Histórico</h2>")[1]
    frame = support_client.get(reverse("tickets:email_html", args=[inbound.pk])).content
    assert b"cid:image001.png@01DB1985.6A2F3C40" in frame  # not pointed anywhere


def test_T1_original_html_only_for_who_may_see_the_ticket(clock, make_user):
    receive(corpus("outlook_html_windows1252.eml"))
    url = reverse("tickets:email_html", args=[InboundEmail.objects.get().pk])
    assert Client().get(url).status_code == 302  # to the login page
    outsider = Client()
    outsider.force_login(make_user())
    assert outsider.get(url).status_code == 403


def test_T1_a_text_only_message_has_no_html_page(clock, support_client):
    receive(corpus("short_body_1.eml"))
    url = reverse("tickets:email_html", args=[InboundEmail.objects.get().pk])
    assert support_client.get(url).status_code == 404
    assert support_client.get(reverse("tickets:email_html", args=[999_999])).status_code == 404


@pytest.mark.parametrize(
    "name", ["請求書.pdf", "Договор поставки.docx", "Zażółć gęślą jaźń.txt", "✔ ok.txt"]
)
def test_T1_downloads_carry_any_file_name(clock, support_client, name):
    receive(corpus("rfc2231_international_names.eml"))
    attachment = EmailAttachment.objects.get(filename=name)
    response = support_client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response.content == bytes(attachment.content)
    header = response["Content-Disposition"]
    assert header.isascii() and "\n" not in header
    parsed = email.message_from_string(
        f"Content-Disposition: {header}\n\n", policy=email.policy.default
    )
    assert parsed.get_content_disposition() == "attachment"
    assert parsed.get_filename() == name


def test_T1_a_reply_note_folds_its_quoted_history_too(clock, support_client):
    first = corpus("short_body_1.eml").replace(
        b"marina@lopesadv.com.br", b"carla.mendes@icloud.com"
    )
    receive(first)
    ticket = Ticket.objects.get()
    reply = corpus("iphone_reply_inline_image.eml").replace(b"[#52]", f"[#{ticket.pk}]".encode())
    assert receive(reply) == "reply"
    assert ticket.attachments.get().filename == "IMG_4821.png"
    page = support_client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    history = page.split("<h2>Histórico</h2>", 1)[1]
    visible, folded = history.split('<details class="quoted">', 1)
    assert "Enviado do meu iPhone" in visible and "Pode mandar um print" not in visible
    assert "Pode mandar um print da tela?" in folded.split("</details>")[0]


def test_T1_the_frame_cannot_navigate_away_and_the_inbox_links_the_html(clock, support_client):
    raw = corpus("thunderbird_related_unnamed_image.eml").replace(
        b"<head>", b'<head><meta http-equiv="refresh" content="0; url=https://tracker.example/">'
    )
    receive(raw)
    inbound = InboundEmail.objects.get()
    url = reverse("tickets:email_html", args=[inbound.pk])
    body = support_client.get(url).content.decode()
    assert "refresh" not in body and 'tracker.example/"' not in body
    assert url in support_client.get(reverse("tickets:inbox")).content.decode()
