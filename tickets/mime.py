"""T1: reading a client's e-mail: its readable text, its original HTML and every file in it.

The whole MIME tree is walked (not only the top level): a file at any depth is kept with its
name, inline images (Content-ID) too; a forwarded message (`message/rfc822`) is kept whole as
an `.eml` file and its text is quoted in the body; in a `multipart/alternative` the text/plain
version is preferred, and an HTML-only body is converted to text with html2text (line breaks,
entities and links kept). Quoted history is found (`split_quoted`) so pages can fold it.
"""

import codecs
import email.policy
import html
import mimetypes
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import html2text

# A content type worth keeping as given (else application/octet-stream).
SIMPLE_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,60}/[a-z0-9][a-z0-9.+-]{0,60}")

TEXT_TYPES = {"text/plain", "text/html"}
REPORT_NAMES = {  # message/* parts that are reports, kept as text files under these names
    "message/delivery-status": "relatorio-de-entrega.txt",
    "message/rfc822-headers": "cabecalhos-da-mensagem-original.txt",
    "message/disposition-notification": "confirmacao-de-leitura.txt",
}
# Labels mail clients put on Windows-1252 text (Outlook's "smart quotes" and €; and Python's
# "unknown-8bit"): decoded as Windows-1252, as browsers do, not as control characters.
WINDOWS_1252_ALIASES = {
    "iso-8859-1",
    "latin-1",
    "latin1",
    "us-ascii",
    "ascii",
    "windows-1252",
    "unknown-8bit",
}
MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")
AUTOLINK = re.compile(r"<((?:https?|ftp)://[^<>\s]+)>")
MAILTO = re.compile(r"\[([^\]\n]+)\]\(mailto:\1\)")
CID_REF = re.compile(r"cid:([^\"'\s<>()]+)", re.IGNORECASE)
NAVIGATING_TAGS = re.compile(
    r"<\s*(?:base\b|meta\b[^>]*http-equiv\s*=\s*[\"']?\s*refresh)[^>]*>", re.IGNORECASE
)
BLANK_RUNS = re.compile(r"\n{3,}")
TRAILING_SPACE = re.compile(r"[ \t\xa0]+(?=\n)")

# Quoted history: "Em qui., 3 de out. de 2024 às 10:12, Ana <ana@x> escreveu:" (Gmail wraps
# it over two or three lines), "On … wrote:", Outlook's "-----Original Message-----" and its
# "De: … Enviado: …" header block.
ATTRIBUTION = re.compile(
    r"^\s*(Em|On|Le|Am|El)\s.{0,300}(escreveu|wrote|a écrit|schrieb|escribió)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Mensagem original|Original Message|Mensagem encaminhada|"
    r"Forwarded message|Begin forwarded message|Início da mensagem encaminhada)",
    re.IGNORECASE,
)
HEADER_FROM = re.compile(r"^\s*\*?(De|From)\s*:\*?\s", re.IGNORECASE)
HEADER_NEXT = re.compile(
    r"^\s*\*?(Enviad[oa](\s+em)?|Sent|Data|Date|Para|To|Assunto|Subject)\s*:", re.IGNORECASE
)


@dataclass
class File:
    name: str
    content_type: str
    content: bytes
    content_id: str = ""


@dataclass
class Parsed:
    text: str = ""  # readable text: plain, or the HTML converted; forwarded messages quoted
    html: str = ""  # the original HTML body, "" when the message has none
    files: list[File] = field(default_factory=list)


class _Walk:
    def __init__(self):
        self.texts: list[str] = []
        self.html: list[str] = []
        self.files: list[File] = []


def parse(msg) -> Parsed:
    """The text, original HTML and files of a message (an `email.message.EmailMessage` read
    with `email.policy.default`). Raises (LookupError…) when the body itself cannot be decoded:
    the caller keeps such a message raw."""
    walk = _Walk()
    _walk(msg, walk, body=True)
    text = "\n\n".join(t for t in (tidy(t) for t in walk.texts) if t)
    return Parsed(text=text, html="\n<hr>\n".join(walk.html), files=walk.files)


def _walk(part, walk: _Walk, *, body: bool) -> None:
    """`body`: this part is (inside) what the client wrote, not an alternative rendering."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        _forwarded(part, walk, body=body)
    elif part.get_content_maintype() == "message":  # delivery-status, rfc822-headers…
        walk.files.append(_file(part, len(walk.files)))
    elif part.is_multipart():
        children = list(part.iter_parts())
        subtype = part.get_content_subtype()
        chosen = None
        if subtype == "alternative":
            chosen = _alternative(children)
        elif subtype == "related":
            chosen = _related_root(part, children)
        for child in children:
            _walk(child, walk, body=body and (chosen is None or child is chosen))
    elif ctype in TEXT_TYPES and part.get_content_disposition() != "attachment":
        if part.get_filename():  # an inline text file ("message.txt"): a file
            walk.files.append(_file(part, len(walk.files)))
            return
        if not body and ctype == "text/plain":
            return  # the plain rendering of an HTML body shown as text: nothing to keep
        try:
            content = decode_text(part)
        except LookupError:
            if body:
                raise  # the text itself cannot be read: the message is kept raw
            return  # an alternative rendering only
        if ctype == "text/html":
            walk.html.append(content)
        if body:
            walk.texts.append(html_to_text(content) if ctype == "text/html" else content)
    else:
        walk.files.append(_file(part, len(walk.files)))


def _alternative(children):
    """The version shown: text/plain when it says something, else the richest (the last)."""
    for child in children:
        if (
            child.get_content_type() == "text/plain"
            and child.get_content_disposition() != "attachment"
            and decode_text(child).strip()
        ):
            return child
    return children[-1] if children else None


def _related_root(part, children):
    start = (part.get_param("start") or "").strip()
    for child in children:
        if start and (child.get("Content-ID") or "").strip() == start:
            return child
    return children[0] if children else None


def _forwarded(part, walk: _Walk, *, body: bool) -> None:
    """A forwarded message: kept whole as an .eml file, its text quoted in the body."""
    inner = part.get_payload(0) if part.is_multipart() else None
    subject = " ".join(str(inner.get("Subject", "") if inner is not None else "").split())
    name = part.get_filename() or f"{subject[:120] or 'mensagem-encaminhada'}.eml"
    if not name.lower().endswith(".eml"):
        name += ".eml"
    walk.files.append(File(name, "message/rfc822", _message_bytes(part, inner), _cid(part)))
    if not body or inner is None:
        return
    try:
        text = parse(inner).text
    except Exception:  # the .eml is kept; its text just cannot be shown
        text = ""
    header = "---------- Mensagem encaminhada ----------"
    for label, key in (("De", "From"), ("Data", "Date"), ("Assunto", "Subject")):
        value = " ".join(str(inner.get(key, "")).split())
        if value:
            header += f"\n{label}: {value}"
    quoted = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    walk.texts.append(f"{header}\n\n{quoted}" if quoted else header)


def _message_bytes(part, inner) -> bytes:
    if inner is not None:
        try:
            return inner.as_bytes(policy=email.policy.compat32)
        except Exception:  # noqa: S110 (fall back to the part's own body below)
            pass
    return _body_bytes(part)


def _body_bytes(part) -> bytes:
    """The bytes of a part's body as they were (for message/* parts that are not a file)."""
    try:
        whole = part.as_bytes(policy=email.policy.compat32)
    except Exception:
        return b""
    for separator in (b"\r\n\r\n", b"\n\n"):
        cut = whole.find(separator)
        if cut >= 0:
            return whole[cut + len(separator) :]
    return b""


def _file(part, index: int) -> File:
    ctype = part.get_content_type()
    # message/delivery-status and kin are parsed as header blocks: kept as their text.
    content = _body_bytes(part) if part.is_multipart() else part.get_payload(decode=True) or b""
    return File(part.get_filename() or _default_name(part, index), ctype, content, _cid(part))


def _default_name(part, index: int) -> str:
    ctype = part.get_content_type()
    if ctype.startswith("message/"):
        return REPORT_NAMES.get(ctype, f"relatorio-{index + 1}.txt")
    ext = mimetypes.guess_extension(ctype) or ".bin"
    base = "imagem" if part.get_content_maintype() == "image" else "anexo"
    cid = _cid(part).split("@")[0]
    return f"{cid or f'{base}-{index + 1}'}{ext if not cid.endswith(ext) else ''}"


def _cid(part) -> str:
    return str(part.get("Content-ID") or "").strip().strip("<>").strip()[:255]


def decode_text(part) -> str:
    """A text part's content in its declared charset, or UTF-8 when the bytes are not that
    charset (a common mislabel); Latin-1 / ASCII labels read as Windows-1252 (Outlook) unless
    the bytes are UTF-8. An unknown charset raises LookupError: the caller keeps the raw."""
    payload = part.get_payload(decode=True) or b""
    declared = (part.get_content_charset() or "us-ascii").lower()
    if declared in WINDOWS_1252_ALIASES:
        tries = ("utf-8", "cp1252")
    else:
        tries = (codecs.lookup(declared).name, "utf-8")
    for charset in tries:
        try:
            return payload.decode(charset)
        except UnicodeDecodeError:
            continue
    return payload.decode(tries[0], errors="replace")


def html_to_text(content: str) -> str:
    """Readable text of an HTML body: paragraphs and line breaks, entities decoded, links
    kept ("[texto](endereço)", a bare address as itself), no images, tables as lines."""
    converter = html2text.HTML2Text(bodywidth=0)
    converter.unicode_snob = True  # ü stays ü (not "u")
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_tables = True
    text = converter.handle(content)
    text = MD_ESCAPE.sub(r"\1", text)
    text = AUTOLINK.sub(r"\1", text)
    text = MAILTO.sub(r"\1", text)
    return html.unescape(text)  # entities html2text leaves (in attribute-like text)


def tidy(text: str) -> str:
    """No trailing spaces, non-breaking spaces as spaces, runs of blank lines collapsed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = text.replace("\ufeff", "").replace("\u200b", "")  # BOMs and zero-width spaces
    text = TRAILING_SPACE.sub("", text + "\n")
    return BLANK_RUNS.sub("\n\n", text).strip()


def framed_html(content: str, images: dict[str, str]) -> str:
    """The HTML for the sandboxed frame: each `cid:` reference to one of `images`
    (Content-ID → the kept attachment's same-origin address) points there, so inline images
    show without anything fetched from outside; `<meta http-equiv="refresh">` and `<base>`
    removed (no navigation away)."""

    def same_origin(match):
        found = images.get(unquote(match.group(1)))
        return match.group(0) if found is None else html.escape(found, quote=True)

    return CID_REF.sub(same_origin, NAVIGATING_TAGS.sub("", content))


def split_quoted(text: str) -> tuple[str, str]:
    """(what the client wrote, the quoted history below it) — the history starts at an
    attribution ("Em … escreveu:", "On … wrote:"), an "Original Message" separator or an
    Outlook header block, or is a trailing block of "> " lines. ("", "") for no text; the
    whole text and "" when there is no history or nothing above it."""
    lines = (text or "").split("\n")
    for i in range(len(lines)):
        if _history_starts(lines, i):
            return _split(lines, i, text)
    quoted_from = None
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].lstrip().startswith(">"):
            quoted_from = i
        elif lines[i].strip():
            break
    if quoted_from is not None:
        return _split(lines, quoted_from, text)
    return text, ""


def _history_starts(lines: list[str], i: int) -> bool:
    if SEPARATOR.match(lines[i]):
        return True
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        ends = len(chunk) == span and chunk[-1].rstrip().endswith(":")
        if ends and ATTRIBUTION.match(" ".join(chunk)):
            return True
    if HEADER_FROM.match(lines[i]):
        return any(HEADER_NEXT.match(following) for following in lines[i + 1 : i + 5])
    return False


def _split(lines: list[str], at: int, text: str) -> tuple[str, str]:
    main = "\n".join(lines[:at]).rstrip().rstrip("_").rstrip()
    quoted = "\n".join(lines[at:]).strip()
    if not main:
        return text, ""
    return main, quoted
