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

The cost of one mail is bounded, whatever it holds: this runs before the
password check, for anyone who can forge an authorised ``From:``.

- Only text charsets are read (``TEXT_CHARSETS``: UTF-8, US-ASCII, the ISO-8859
  and Windows-125x families, KOI8). Python's codecs also decode ``punycode`` or
  ``idna`` (quadratic: a 1 MB part took 15 s) and transfer encodings.
- At most ``MAX_TEXT_BYTES`` of the chosen part are decoded: an SMS is at most
  918 characters, and the parameters, the end word or the first quoted line
  come long before the cut, so cutting changes no outcome.
- HTML is reduced to text in one pass (``html_to_text``); the standard library's
  parser is quadratic on unclosed tags (``"<a " * 8000``: 5 s).
- A ``Content-Type`` or ``Content-Disposition`` of more than
  ``MAX_MIME_HEADER_CHARS`` characters or ``MAX_MIME_PARAMETERS`` parameters is
  not parsed: the email package splits parameters in quadratic time (100 KB of
  ``;``: 11 s). Nor is a mail of more than ``MAX_MULTIPARTS`` multiparts (the
  parser recurses into each) or ``MAX_PARTS`` parts. Such a mail is read for its
  headers only and refused as ``UNREADABLE``.

Reasons (``BodyError.reason``), beside those of ``mailbridge.parse``:

- ``UNKNOWN_CHARSET``: the declared charset is not a text charset we read, or the
  text is not valid in it.
- ``NO_TEXT``: no text/plain or text/html part (or an unreadable message).
- ``UNREADABLE``: a MIME header too long to parse (above).
"""

import codecs
import email
import email.parser
import email.policy
import html
import logging
import re
from dataclasses import dataclass
from email.message import Message

from .parse import BodyError

logger = logging.getLogger(__name__)

UNKNOWN_CHARSET = "unknown_charset"
NO_TEXT = "no_text"
UNREADABLE = "unreadable"
REASONS = frozenset({UNKNOWN_CHARSET, NO_TEXT, UNREADABLE})

# Python's canonical codec names (codecs.lookup(name).name) of the charsets read.
# fmt: off
TEXT_CHARSETS = frozenset(
    {"utf-8", "ascii", "koi8-r", "koi8-u"}
    | {f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)}
    | {f"cp{n}" for n in range(1250, 1259)}
)
# fmt: on
MAX_TEXT_BYTES = 128 * 1024
MAX_MIME_HEADER_CHARS = 4000
MAX_MIME_PARAMETERS = 64
MAX_MULTIPARTS = 50
MAX_PARTS = 2000

_UNDECLARED_CHARSETS = ("utf-8", "windows-1250", "iso-8859-2")
_ARMOUR_BEGIN = "-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = "-----END PGP MESSAGE-----"
_NEWLINE = re.compile(r"\r\n|\r|\n")
_UNPRINTABLE = re.compile(r"[^\x21-\x7e]")
_ECHO_LIMIT = 40
# A Content-Type or Content-Disposition field, with its folded continuation lines.
_MIME_HEADER = re.compile(
    rb"^content-(?:type|disposition)[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*",
    re.IGNORECASE | re.MULTILINE,
)


# A From: of one mailbox (RFC 5322 §3.4), read strictly: an address, or a display name
# (words or quoted strings) and <address>, each maybe followed by a (comment).
# Possessive quantifiers (*+, ++): no backtracking, whatever the header holds.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]++"
_QUOTED = r'"(?:[^"\\\r\n]|\\.)*+"'
_ADDR_SPEC = (
    rf"(?:{_ATOM}(?:\.{_ATOM})*+|{_QUOTED})"  # local part
    r"@(?:[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++|\[[^\[\]\\\r\n]*+\])"  # domain
)
_WORD = rf"(?:[^\s\"<>()@,;:\\\[\]]++|{_QUOTED})"
_COMMENT = r"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*+\))*+\)"  # one level of nesting
_MAILBOX = re.compile(
    rf"\s*+(?:(?P<bare>{_ADDR_SPEC})"
    rf"|(?:(?:{_WORD}|{_COMMENT})\s*+)*+<\s*+(?P<angle>{_ADDR_SPEC})\s*+>)"
    rf"\s*+(?:{_COMMENT}\s*+)*+"
)
# "jan@firma.pl <jan@firma.pl>": not RFC 5322, but what hand-written scripts send.
_SAME_TWICE = re.compile(rf"\s*+(?P<bare>{_ADDR_SPEC})\s*+<\s*+(?P<angle>{_ADDR_SPEC})\s*+>\s*+")
MAX_ADDRESS_HEADER_CHARS = 2000


def mailbox(values: list[str]) -> str | None:
    """The one address of a From: header, or None when the mail has no From:, several,
    one naming several addresses, or one that is malformed
    (``demo@example.com <attacker@evil.com>`` is not demo@example.com)."""
    if len(values) != 1 or len(values[0]) > MAX_ADDRESS_HEADER_CHARS:
        return None
    found = _MAILBOX.fullmatch(values[0])
    if found:
        return found["bare"] or found["angle"]
    twice = _SAME_TWICE.fullmatch(values[0])
    if twice and twice["bare"].lower() == twice["angle"].lower():
        return twice["angle"]
    return None


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
    through it than the rest of a mail's handling. A mail whose MIME headers
    are too long to parse in bounded time is read for its headers only, and
    ``body_of`` refuses it.
    """
    raw = bytes(raw)
    unreadable = _oversized_mime_header(raw)
    try:
        parser = email.parser.BytesParser(policy=email.policy.compat32)
        message = parser.parsebytes(raw, headersonly=unreadable)
    except Exception:  # the parser is lenient by design; a failure is still a bad mail
        logger.warning("unparseable mail", exc_info=True)
        message = Message(policy=email.policy.compat32)
    if unreadable:
        message.sms2email_unreadable = True
    return message


def _oversized_mime_header(raw: bytes) -> bool:
    """Whether a Content-Type or Content-Disposition, of the mail or of any part,
    is past the limits the email package parses in bounded time, or the mail
    has more multiparts than ``MAX_MULTIPARTS`` (each is a level of recursion
    and a regular expression compiled by the parser) or more than ``MAX_PARTS``
    parts."""
    # The parser ends a line at CR LF, LF or a bare CR: so does this count.
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if raw.count(b"\n--") > MAX_PARTS:  # every part starts at a line "--boundary"
        return True
    multiparts = 0
    for match in _MIME_HEADER.finditer(raw):
        field = match[0]
        if len(field) > MAX_MIME_HEADER_CHARS or field.count(b";") > MAX_MIME_PARAMETERS:
            return True
        multiparts += b"multipart/" in field.lower()
    return multiparts > MAX_MULTIPARTS


def body_of(message: Message) -> MailText | Encrypted | BodyError:
    """The text of a request mail, the PGP message it carries, or why it has neither."""
    if getattr(message, "sms2email_unreadable", False):
        return BodyError(
            UNREADABLE,
            "Nie odczytujemy tego e-maila: nagłówek MIME (Content-Type lub "
            f"Content-Disposition) ma ponad {MAX_MIME_HEADER_CHARS} znaków albo "
            f"{MAX_MIME_PARAMETERS} parametrów, albo e-mail ma ponad {MAX_PARTS} części. "
            "Wyślij SMS-a w zwykłym e-mailu tekstowym.",
        )
    try:
        return _body_of(message)
    except Exception:  # the email package raises on some malformed headers and bodies
        logger.warning("unreadable mail body", exc_info=True)
        return _no_text()


def _body_of(message: Message) -> MailText | Encrypted | BodyError:
    plain = html_part = None
    for part in _parts(message):
        content_type = part.get_content_type()
        if content_type == "multipart/encrypted":
            return _pgp_mime(part)
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        if content_type == "text/plain" and plain is None:
            plain = part
        elif content_type == "text/html" and html_part is None:
            html_part = part
    chosen = plain or html_part
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
    cut = len(data) > MAX_TEXT_BYTES
    data = data[:MAX_TEXT_BYTES]
    if charset is None:
        for candidate in _UNDECLARED_CHARSETS[:-1]:
            try:
                return _decode(data, candidate, cut)
            except ValueError:
                continue
        return data.decode(_UNDECLARED_CHARSETS[-1])  # reads any byte
    name = _UNPRINTABLE.sub("?", str(charset))[:_ECHO_LIMIT]
    codec = text_codec(charset)
    if codec is None:
        return BodyError(
            UNKNOWN_CHARSET,
            f"Nie odczytujemy treści w kodowaniu „{name}”: czytamy kodowania tekstu UTF-8, "
            "US-ASCII, ISO-8859, Windows-125x i KOI8. Wyślij treść w UTF-8, ISO-8859-2 "
            "albo Windows-1250.",
        )
    try:
        return _decode(data, codec, cut)
    except ValueError:
        return BodyError(
            UNKNOWN_CHARSET,
            f"Treść e-maila nie jest poprawnym tekstem w kodowaniu „{name}”, które podaje "
            "nagłówek: wyślij ją w UTF-8, ISO-8859-2 albo Windows-1250.",
        )


def text_codec(charset: str | None) -> str | None:
    """The codec of ``charset`` when it is one of ``TEXT_CHARSETS``, else None."""
    try:
        codec = codecs.lookup(str(charset)).name
    except (LookupError, ValueError, TypeError):
        return None
    return codec if codec in TEXT_CHARSETS else None


def _decode(data: bytes, codec: str, cut: bool) -> str:
    if not cut:
        return data.decode(codec)
    # The cut may split a character: the incremental decoder leaves its bytes out.
    return codecs.getincrementaldecoder(codec)().decode(data, final=False)


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
# Raw text: what they hold up to their end tag is not markup, and is not shown.
_RAW_HIDDEN = frozenset({"script", "style", "title"})
_HIDDEN = frozenset({"template"})
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\xa0]+")
# Possessive (*+): a tag without its ">" fails once, at the end, without backtracking.
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*+)[^>]*+>")
_MARKUP_START = re.compile(r"<(?:[a-zA-Z!?]|/[a-zA-Z])")


def _markup_at(markup: str, opening: int) -> tuple[int, tuple[str, bool, bool] | None]:
    """Where the markup starting at ``opening`` ends, and (tag name, closing, self-closed)
    when it is a tag. Markup left open runs to the end of the text."""
    if markup.startswith("<!--", opening):
        end = markup.find("-->", opening + 4)
        return (len(markup) if end < 0 else end + 3), None
    if markup[opening + 1 : opening + 2] in ("!", "?"):  # <!DOCTYPE>, <![if …]>, <?xml?>
        end = markup.find(">", opening)
        return (len(markup) if end < 0 else end + 1), None
    tag = _TAG.match(markup, opening)
    if tag is None:  # no ">" follows: a tag left open, dropped with the rest
        return len(markup), None
    closing = bool(tag[1])
    return tag.end(), (tag[2].lower(), closing, not closing and markup[tag.end() - 2] == "/")


class _HtmlText:
    """What ``html_to_text`` collects: the text, with a line break per block."""

    def __init__(self):
        self.chunks: list[str] = []
        self.hidden = 0
        self.pre = 0

    def _line_break(self):
        if self.chunks and not self.chunks[-1].endswith("\n"):
            self.chunks.append("\n")

    def tag(self, name: str, *, opening: bool, closed: bool = False):
        if closed:  # <br/>, <div/>: no content, nothing to count
            if name == "br":
                self.chunks.append("\n")
            elif name in _BLOCKS:
                self._line_break()
        elif name in _HIDDEN:
            self.hidden = max(0, self.hidden + (1 if opening else -1))
        elif name == "br" and opening:
            self.chunks.append("\n")
        elif name in _BLOCKS:
            self._line_break()
            if name == "pre":
                self.pre = max(0, self.pre + (1 if opening else -1))
        elif name in _CELLS and opening:
            self.chunks.append(" ")

    def data(self, data: str):
        if self.hidden or not data:
            return
        data = html.unescape(data)
        if self.pre:
            self.chunks.append(data.replace("\xa0", " "))
        else:
            self.chunks.append(_SPACES.sub(" ", data))


def html_to_text(markup: str) -> str:
    """The visible text of an HTML body, one line per block or ``<br>``.

    One pass, in time linear in the length (each ``find`` starts where the last
    construct ended): a tag ends at its first ``>``, a comment at ``-->``, a
    script, style or title at its end tag, and a construct left open runs to
    the end of the text and is dropped, as a browser drops it.
    """
    out = _HtmlText()
    lower = None  # made once, when a raw-text element needs its end tag found
    position = text_from = 0
    while found := _MARKUP_START.search(markup, position):
        opening = found.start()
        after, tag = _markup_at(markup, opening)
        out.data(markup[text_from:opening])
        position = text_from = after
        if tag is None:
            continue
        name, closing, closed = tag
        out.tag(name, opening=not closing, closed=closed)
        if name in _RAW_HIDDEN and not closing and not closed:
            lower = markup.lower() if lower is None else lower
            end = lower.find("</" + name, after)
            position = text_from = len(markup) if end < 0 else end
    out.data(markup[text_from:])
    lines = (line.strip(" ") for line in "".join(out.chunks).split("\n"))
    return "\n".join(lines).strip()
