"""From an RFC 822 message to the body text ``parse_body`` reads (seed 000 §3.4, SPEC §5).

Pure: no database. The text is the first text/plain part that is not an attachment,
else the first text/html part reduced to text; attached mails (message/rfc822) are
not looked into. Any charset Python's codecs know is decoded, after quoted-printable
or base64. A PGP-encrypted request, PGP/MIME (RFC 3156) or inline ASCII armour, comes
back as ``Encrypted`` for the caller to decrypt; it is not read here.

Decisions:

- PGP/MIME wins over any plain part beside it: the encrypted part is the request.
- A text part without a charset is read as UTF-8, else as Windows-1250 (the usual
  undeclared Polish mailer), else as ISO-8859-2, which reads any byte.
- ``format=flowed`` (RFC 3676) is unwrapped, so a long SMS line a mailer folded at
  72 characters arrives as one line.

Reasons (``BodyError.reason``), beside those of ``mailbridge.parse``:

- ``UNKNOWN_CHARSET``: the declared charset is unknown, or the text is not valid in it.
- ``NO_TEXT``: no text/plain or text/html part (or an unreadable message).
"""

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser

from .parse import BodyError

logger = logging.getLogger(__name__)

UNKNOWN_CHARSET = "unknown_charset"
NO_TEXT = "no_text"
REASONS = frozenset({UNKNOWN_CHARSET, NO_TEXT})

_UNDECLARED_CHARSETS = ("utf-8", "windows-1250", "iso-8859-2")
_ARMOUR_BEGIN = "-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = "-----END PGP MESSAGE-----"
_NEWLINE = re.compile(r"\r\n|\r|\n")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")
_ECHO_LIMIT = 40


@dataclass(frozen=True)
class MailText:
    """The decoded body text, for ``parse_body``."""

    text: str


@dataclass(frozen=True)
class Encrypted:
    """A PGP message (ASCII armour or binary OpenPGP) to decrypt before parsing;
    ``plaintext_of`` reads what it decrypts to."""

    armoured: bytes
    entity: bool = False  # PGP/MIME: the plaintext is a MIME entity (RFC 3156 §4)
    charset: str | None = None  # inline armour: the charset of the part holding it


def read_message(raw: bytes) -> Message:
    """The message in ``raw``; garbage gives an (almost) empty message, never an error.

    compat32: headers stay strings. The default policy parses a header anew on
    every access, and the few this module and mailbridge.intake read cost more
    through it than the rest of a mail's handling.
    """
    try:
        return email.message_from_bytes(bytes(raw), policy=email.policy.compat32)
    except Exception:  # the parser is lenient by design; a failure is still a bad mail
        logger.warning("unparseable mail", exc_info=True)
        return Message(policy=email.policy.compat32)


def body_of(message: Message) -> MailText | Encrypted | BodyError:
    """The text of a request mail, the PGP message it carries, or why it has neither."""
    try:
        return _body_of(message)
    except Exception:  # the email package raises on some malformed headers and bodies
        logger.warning("unreadable mail body", exc_info=True)
        return _no_text()


def _body_of(message: Message) -> MailText | Encrypted | BodyError:
    plain = html = None
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type == "multipart/encrypted":
            return _pgp_mime(part)
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        if content_type == "text/plain" and plain is None:
            plain = part
        elif content_type == "text/html" and html is None:
            html = part
    chosen = plain or html
    if chosen is None:
        return _no_text()
    text = _decoded(chosen)
    if isinstance(text, BodyError):
        return text
    if chosen is plain:
        if str(chosen.get_param("format", "")).lower() == "flowed":
            text = _unflowed(text, delsp=str(chosen.get_param("delsp", "")).lower() == "yes")
    else:
        text = html_to_text(text)
    armour = _inline_armour(text)
    if armour is not None:
        return Encrypted(armour, charset=chosen.get_content_charset())
    return MailText(text)


def _parts(message: Message):
    """Every part in document order, depth first, without entering attached mails."""
    stack = [message]
    while stack:
        part = stack.pop()
        yield part
        if part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed(children))


def _pgp_mime(part: Message) -> Encrypted | BodyError:
    # RFC 3156 §4: an application/pgp-encrypted control part, then the
    # application/octet-stream part holding the OpenPGP message.
    children = part.get_payload()
    for child in children if isinstance(children, list) else ():
        if child.get_content_type() == "application/octet-stream":
            data = child.get_payload(decode=True)
            if data:
                return Encrypted(data, entity=True)
    return BodyError(
        NO_TEXT,
        "Zaszyfrowany e-mail (PGP/MIME) nie zawiera zaszyfrowanej treści: "
        "zaszyfruj treść SMS-a jeszcze raz i wyślij ponownie.",
    )


def plaintext_of(encrypted: Encrypted, plaintext: bytes) -> MailText | Encrypted | BodyError:
    """The body a decrypted message carries: a whole MIME entity for PGP/MIME, read as
    a mail is; for inline armour, text in the charset of the part that held it."""
    if encrypted.entity:
        return body_of(read_message(plaintext))
    text = _decoded_bytes(plaintext, encrypted.charset)
    return text if isinstance(text, BodyError) else MailText(text)


def _decoded(part: Message) -> str | BodyError:
    data = part.get_payload(decode=True)
    return _decoded_bytes(data if isinstance(data, bytes) else b"", part.get_content_charset())


def _decoded_bytes(data: bytes, charset: str | None) -> str | BodyError:
    if charset is None:
        for candidate in _UNDECLARED_CHARSETS[:-1]:
            try:
                return data.decode(candidate)
            except ValueError:
                continue
        return data.decode(_UNDECLARED_CHARSETS[-1])  # reads any byte
    try:
        return data.decode(charset)
    except (LookupError, ValueError):
        name = _UNPRINTABLE.sub("?", str(charset))[:_ECHO_LIMIT]
        return BodyError(
            UNKNOWN_CHARSET,
            f"Nie można odczytać treści e-maila w kodowaniu „{name}”: wyślij ją w UTF-8, "
            "ISO-8859-2 albo Windows-1250.",
        )


def _no_text() -> BodyError:
    return BodyError(
        NO_TEXT,
        "E-mail nie zawiera treści tekstowej (text/plain ani text/html): "
        "wpisz treść SMS-a w treści e-maila, nie w załączniku.",
    )


def _unflowed(text: str, *, delsp: bool) -> str:
    """RFC 3676 §4: join soft line breaks (a line ending in a space) and unstuff."""
    lines: list[str] = []
    paragraph: list[str] = []
    for line in _NEWLINE.split(text):
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        if line.endswith(" ") and line != "-- ":
            paragraph.append(line[:-1] if delsp else line)
        else:
            paragraph.append(line)
            lines.append("".join(paragraph))
            paragraph = []
    if paragraph:
        lines.append("".join(paragraph))
    return "\n".join(lines)


def _inline_armour(text: str) -> bytes | None:
    start = text.find(_ARMOUR_BEGIN)
    if start < 0:
        return None
    end = text.find(_ARMOUR_END, start)
    end = len(text) if end < 0 else end + len(_ARMOUR_END)
    return (text[start:end] + "\n").encode(errors="replace")


# Elements whose start and end break a line; <br> breaks one itself.
# fmt: off
_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
    "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li",
    "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "thead", "tfoot", "tr", "ul",
})
# fmt: on
_HIDDEN = frozenset({"script", "style", "title", "template"})
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")


class _HtmlText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0
        self.pre = 0

    def _line_break(self):
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")

    def _tag(self, tag: str, opening: bool):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden + (1 if opening else -1))
        elif tag == "br" and opening:
            self.chunks.append("\n")
        elif tag in _BLOCKS:
            self._line_break()
            if tag == "pre":
                self.pre = max(0, self.pre + (1 if opening else -1))
        elif tag in _CELLS and opening:
            self.chunks.append(" ")

    def handle_starttag(self, tag, attrs):
        self._tag(tag, True)

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.chunks.append("\n")
        elif tag in _BLOCKS:
            self._line_break()

    def handle_endtag(self, tag):
        self._tag(tag, False)

    def handle_data(self, data):
        if self.hidden:
            return
        if self.pre:
            self.chunks.append(data.replace("\xa0", " "))
        else:
            self.chunks.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, one line per block or ``<br>``."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # _markupbase's answer to some malformed declarations
        logger.info("HTML body cut at a malformed declaration")
    lines = (line.strip(" ") for line in "".join(parser.chunks).split("\n"))
    return "\n".join(lines).strip()
