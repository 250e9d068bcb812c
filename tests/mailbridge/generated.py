"""Hypothesis strategies for whole mails as bytes, for fuzzing the mail bridge.

What a sending server may hand the listener, not only what a good mail client writes:
multipart trees several levels deep (mixed, alternative, related, an attached mail),
text/plain, text/html and binary attachments, charsets we read, one we do not
(``unknown-8bit``) and bogus ones, transfer encodings 7bit, 8bit, quoted-printable,
base64 and broken base64 (a lie in the header, damaged padding, stray characters),
lines longer than SMTP allows, headers missing, doubled or malformed, encoded-word
subjects, and sizes from an empty mail to just over the listener's limit.

``mails(...)`` draws a ``GeneratedMail``: its bytes, its envelope, and the SMTP reply
the listener must give it (``expected_codes``), read from what goes on the wire.
"""

import base64
import html
import quopri
import re
import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

CRLF = b"\r\n"
# aiosmtpd's line_length_limit (1001) counts the line and its CR LF, so a line of more
# than 999 octets on the wire is "500 Line too long" (RFC 5321 §4.5.3.1.6: 1,000 with
# CR LF).
MAX_LINE = 999

CHARSETS = [
    "utf-8",
    "iso-8859-2",
    "windows-1250",
    "koi8-r",
    "us-ascii",
    "unknown-8bit",  # RFC 1428: the bytes' charset is not known
    "x-bogus",
    "utf-8'pl'",
    "",
    None,  # no charset parameter
]
ENCODINGS = ["7bit", "8bit", "quoted-printable", "base64", "broken-base64", "x-uuencode", None]
# Polish, Cyrillic, a little of everything else, and the line breaks mail mangles.
LETTERS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:!?-ąćęłńóśźżĄĆĘŁŃÓŚŹŻжёЖЁ€…\n\r\t"


def _codec(charset: str | None) -> str:
    """What bytes a part declared in ``charset`` holds: its own codec, UTF-8 otherwise."""
    import codecs

    try:
        return codecs.lookup(charset or "utf-8").name
    except LookupError:
        return "utf-8"


def _encoded(data: bytes, encoding: str | None, damage: int) -> bytes:
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    if encoding == "base64":
        return base64.encodebytes(data)
    if encoding == "broken-base64":
        coded = base64.encodebytes(data)
        if damage == 0:  # padding cut off
            return coded.rstrip(b"=\n") + b"\n"
        if damage == 1:  # characters outside the alphabet
            return coded[: len(coded) // 2] + b"!!*~" + coded[len(coded) // 2 :]
        if damage == 2:  # a length that is no multiple of four
            return coded[:-3] + b"\n"
        return data  # declared base64, sent as it is
    return data


def _header_encoding(encoding: str | None) -> str | None:
    return "base64" if encoding == "broken-base64" else encoding


@dataclass
class Leaf:
    content_type: str
    charset: str | None
    encoding: str | None
    body: bytes
    attachment: bool
    damage: int = 0

    def render(self) -> tuple[list[bytes], bytes]:
        value = self.content_type
        if self.charset is not None:
            value += f'; charset="{self.charset}"'
        headers = [b"Content-Type: " + value.encode()]
        cte = _header_encoding(self.encoding)
        if cte:
            headers.append(b"Content-Transfer-Encoding: " + cte.encode())
        if self.attachment:
            headers.append(b'Content-Disposition: attachment; filename="plik.bin"')
        return headers, _encoded(self.body, self.encoding, self.damage)


@dataclass
class Multipart:
    subtype: str
    parts: list
    boundary: str
    closed: bool  # the closing delimiter is there
    declared: bool  # the boundary parameter is there

    def render(self) -> tuple[list[bytes], bytes]:
        value = f"multipart/{self.subtype}"
        if self.declared:
            value += f'; boundary="{self.boundary}"'
        body = b"This is a multi-part message in MIME format." + CRLF
        delimiter = b"--" + self.boundary.encode()
        for part in self.parts:
            headers, content = part.render()
            body += delimiter + CRLF + CRLF.join(headers) + CRLF + CRLF + content + CRLF
        if self.closed:
            body += delimiter + b"--" + CRLF
        return [b"Content-Type: " + value.encode()], body


@dataclass
class Attached:
    """message/rfc822: a whole mail inside the mail."""

    inner: object

    def render(self) -> tuple[list[bytes], bytes]:
        headers, content = self.inner.render()
        inner = b"From: someone@example.net" + CRLF + b"Subject: fwd" + CRLF
        inner += CRLF.join(headers) + CRLF + CRLF + content
        return [b"Content-Type: message/rfc822"], inner


def request_text(password: str):
    """A request as seed 000 §4.1 writes it: a password line (the right one or not),
    numbers good and bad, maybe ``flash``, ``---``, the SMS text, ``END``."""
    good = ["601100200", "48601100201", "+48 601 100 202", "0048601100203"]
    numbers = st.lists(st.sampled_from(good), min_size=1, max_size=3) | st.lists(
        st.sampled_from([*good, "123", "abc"]), max_size=3
    )
    return st.builds(
        lambda right, numbers, flash, text, end: "\n".join(
            [
                password if right else "zle-haslo",
                *numbers,
                *(["flash"] if flash else []),
                "---",
                text,
                end,
            ]
        ),
        st.integers(0, 3).map(bool),  # the right password, mostly
        numbers,
        st.booleans(),
        st.text(alphabet=LETTERS, min_size=1, max_size=200),
        st.sampled_from(["END", "KONIEC", "", "-- \nJan"]),
    )


def texts(password: str):
    kinds = ["request"] * 6 + ["letters"] * 2 + ["unicode", "long line"]
    return st.sampled_from(kinds).flatmap(
        lambda kind: {
            "request": request_text(password),
            "letters": st.text(alphabet=LETTERS, max_size=300),
            "unicode": st.text(max_size=100),  # anything Unicode has, surrogates aside
            # a line longer than SMTP allows, unless an encoding wraps it
            "long line": st.builds(
                lambda n, c: c * n, st.integers(900, 2500), st.sampled_from(["x", "ż", "ж"])
            ),
        }[kind]
    )


def leaves(password: str):
    text_part = st.builds(
        lambda kind, text, charset, encoding, damage: Leaf(
            kind,
            charset,
            encoding,
            _as_html(text) if kind == "text/html" else text,
            attachment=False,
            damage=damage,
        ),
        st.sampled_from(["text/plain", "text/plain", "text/html"]),
        texts(password),
        st.sampled_from(CHARSETS),
        st.sampled_from(ENCODINGS),
        st.integers(0, 3),
    ).map(_encode_text)
    attachment = st.builds(
        lambda kind, data, encoding, damage: Leaf(kind, None, encoding, data, True, damage),
        st.sampled_from(["application/octet-stream", "image/png", "text/plain", "application/pdf"]),
        st.binary(max_size=3000),
        st.sampled_from(["base64", "base64", "broken-base64", "8bit"]),
        st.integers(0, 3),
    )
    return st.one_of(text_part, text_part, attachment)


def _as_html(text: str) -> str:
    return "<html><body><p>" + html.escape(text).replace("\n", "<br>") + "</p></body></html>"


def _encode_text(leaf: Leaf) -> Leaf:
    leaf.body = leaf.body.encode(_codec(leaf.charset), errors="replace")
    return leaf


def good_requests(password: str):
    """A request that should be sent: the right password, good numbers, a text part in
    a charset and an encoding we read, alone or beside its HTML in an alternative."""
    plain = st.builds(
        lambda numbers, text, charset, encoding: Leaf(
            "text/plain",
            charset,
            encoding,
            "\n".join([password, *numbers, "---", text, "END"]).encode(charset),
            attachment=False,
        ),
        st.lists(st.sampled_from(["601100200", "48601100201", "+48 601 100 202"]), min_size=1),
        st.text(alphabet="abcxyz ąćęłńóśźż", min_size=1, max_size=120).filter(str.strip),
        st.sampled_from(["utf-8", "iso-8859-2", "windows-1250"]),
        st.sampled_from(["8bit", "quoted-printable", "base64"]),
    )
    return plain | st.builds(
        lambda leaf: Multipart(
            "alternative",
            [leaf, Leaf("text/html", "utf-8", "8bit", b"<p>html</p>", False)],
            f"=_{uuid.uuid4().hex}",
            closed=True,
            declared=True,
        ),
        plain,
    )


def bodies(password: str):
    return good_requests(password) | st.recursive(
        leaves(password),
        lambda children: st.one_of(
            st.builds(
                Multipart,
                st.sampled_from(["mixed", "alternative", "related", "signed"]),
                st.lists(children, max_size=4),
                st.builds(lambda: f"=_{uuid.uuid4().hex}"),
                st.booleans() | st.just(True),
                st.booleans() | st.just(True) | st.just(True),
            ),
            st.builds(Attached, children),
        ),
        max_leaves=10,
    )


def _encoded_word(text: str, charset: str, q: bool) -> str:
    data = text.encode(_codec(charset), errors="replace")
    if q:
        coded = "".join(
            chr(b) if chr(b).isalnum() else "_" if b == 32 else f"={b:02X}" for b in data
        )
        return f"=?{charset}?Q?{coded}?="
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def subjects():
    words = st.text(alphabet=LETTERS.replace("\n", "").replace("\r", ""), max_size=60)
    encoded = st.builds(
        lambda t, c, q: [_encoded_word(t, c, q).encode()],
        words,
        st.sampled_from([c for c in CHARSETS if c]),
        st.booleans(),
    )
    return st.one_of(
        st.just(None),  # no Subject
        words.map(lambda t: [t.encode("utf-8")]),  # 8-bit, undeclared
        encoded,
        encoded,
        encoded,
        st.just([b"=?utf-8?B?!!!not-base64?=", b"second subject"]),  # broken and doubled
        st.builds(lambda n: [b"a" * n], st.integers(980, 1010)),  # about the longest line
    )


@dataclass
class GeneratedMail:
    raw: bytes
    mail_from: str
    rcpt: str
    declare_size: bool
    ours: bool  # rcpt is an address of ours (else 550 at RCPT)

    def wire(self) -> bytes:
        """What smtplib's ``data`` sends of these bytes before the final dot: a dot
        after any line feed doubled, a CR LF at the end. Bare line feeds stay: the
        listener reads lines up to CR LF only."""
        data = re.sub(rb"(?m)^\.", b"..", self.raw)
        return data if data.endswith(CRLF) else data + CRLF

    def expected_codes(self, limit: int) -> set[int]:
        """The replies the listener may give, by RFC 5321 and the listener's limits."""
        wire = self.wire()
        if self.declare_size and len(wire) > limit:
            return {552}  # at MAIL FROM, before a byte of the body
        if not self.ours:
            return {550}  # at RCPT TO
        over = len(wire) > limit
        too_long = any(len(line) > MAX_LINE for line in wire.split(CRLF))
        if over and too_long:
            return {500, 552}  # whichever the listener met first
        if over:
            return {552}
        if too_long:
            return {500}
        return {250}


def _pad(raw: bytes, target: int | None) -> bytes:
    """``raw`` grown to ``target`` bytes on the wire by lines of filler at the end."""
    if target is None:
        return raw
    if not raw.endswith(CRLF):
        raw += CRLF
    probe = GeneratedMail(raw, "", "", False, True)
    missing = target - len(probe.wire())
    line = b"Q" * 76 + CRLF
    if missing <= 2:
        return raw
    lines, rest = divmod(missing, len(line))
    filler = line * lines
    if rest == 1 and lines:
        filler = b"Q" + filler  # one line a byte longer
    elif rest >= 2:
        filler += b"Q" * (rest - 2) + CRLF
    return raw + filler


def mails(*, password: str, sender: str, box: str, domain: str, limit: int):
    """Whole mails to the listener; ``sender`` is the authorised one, ``box`` the
    request address, ``password`` the service's, ``limit`` SMS2EMAIL_MAX_BYTES."""
    from_values = st.sampled_from(
        [
            *[[sender]] * 3,
            *[[f"Jan Kowalski <{sender}>"]] * 3,
            [f"=?utf-8?B?{base64.b64encode('Żółw'.encode()).decode()}?= <{sender}>"],
            ["obcy@example.org"],
            [sender, "drugi@example.org"],  # two From: dropped
            [f"{sender} <attacker@evil.example>"],
            [],
            ["<>"],
        ]
    )
    envelope = st.sampled_from([*[sender] * 6, "obcy@example.org", "", "MAILER-DAEMON@x.pl"])
    rcpt = st.sampled_from(
        [
            *[(box, True)] * 4,
            (f"48601100210@{domain}", True),
            (f"601100211@{domain}", True),
            (f"box@{domain.upper()}", True),
            ("someone@example.com", False),
        ]
    )
    # Mostly as generated; some grown to a size, one in ten to about the limit.
    sizes = st.sampled_from(["as is"] * 14 + ["small"] * 4 + ["near", "edge"]).flatmap(
        lambda kind: {
            "as is": st.none(),
            "small": st.integers(0, 20_000),
            "near": st.integers(limit - 64, limit + 64),
            "edge": st.sampled_from([limit, limit + 1]),
        }[kind]
    )
    extra = st.sampled_from(
        [
            *[[]] * 6,
            [b"Auto-Submitted: auto-replied"],
            [b"Precedence: bulk"],
            [b"X-Weird: \xff\xfe\x00 binary"],
            [b"Content-Type: text/plain; charset=utf-8"],  # a second Content-Type
            [b"MIME-Version: 1.0", b"MIME-Version: 2.0"],
            [b"Received: from a by b; " + b"x" * 1100],  # a header line too long
        ]
    )

    @st.composite
    def build(draw):
        body = draw(bodies(password) | st.none())
        froms = draw(from_values)
        address, ours = draw(rcpt)
        headers = [b"From: " + value.encode() for value in froms]
        headers.append(b"To: " + address.encode())
        subject = draw(subjects())
        for value in subject or []:
            headers.append(b"Subject: " + value)
        message_id = draw(st.sampled_from(["unique", "unique", "missing", "twice"]))
        if message_id != "missing":
            headers.append(f"Message-ID: <{uuid.uuid4().hex}@fuzz.example>".encode())
        if message_id == "twice":
            headers.append(f"Message-ID: <{uuid.uuid4().hex}@fuzz.example>".encode())
        if draw(st.booleans()):
            headers.append(b"Date: Mon, 07 Dec 2026 12:00:00 +0100")
        headers.extend(draw(extra))
        if body is None:  # empty, or headers and a bare text
            content = draw(st.sampled_from([b"", draw(texts(password)).encode("utf-8")]))
            raw = CRLF.join(headers) + CRLF + CRLF + content if draw(st.booleans()) else b""
        else:
            part_headers, content = body.render()
            raw = CRLF.join([*headers, b"MIME-Version: 1.0", *part_headers])
            raw += CRLF + CRLF + content
        if draw(st.integers(0, 7)):  # as a sending server writes it, most of the time
            raw = re.sub(rb"\r\n|\n|\r", CRLF, raw)
        raw = _pad(raw, draw(sizes))
        return GeneratedMail(
            raw=raw,
            mail_from=draw(envelope),
            rcpt=address,
            declare_size=draw(st.booleans()),
            ours=ours,
        )

    return build()
