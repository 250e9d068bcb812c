import base64
import quopri
from email.message import EmailMessage

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbridge import mime, parse
from mailbridge.mime import (
    NO_TEXT,
    UNKNOWN_CHARSET,
    Encrypted,
    MailText,
    body_of,
    html_to_text,
    read_message,
)
from mailbridge.parse import BodyError
from tests.conftest import examples

POLISH = "Zażółć gęślą jaźń: ąćęłńóśźż ĄĆĘŁŃÓŚŹŻ"
ARMOUR = (
    "-----BEGIN PGP MESSAGE-----\n"
    "\n"
    "hQEMA0e1YpL5m0hQAQf/ZmFrZSBjaXBoZXJ0ZXh0IGZvciB0ZXN0cw==\n"
    "=AbCd\n"
    "-----END PGP MESSAGE-----\n"
)


def mail(body: bytes, content_type: str = "text/plain; charset=utf-8", cte: str = "8bit") -> bytes:
    head = (
        "From: jan@example.com\r\n"
        "To: box@sms2email.localhost\r\n"
        "Subject: test\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n"
        "\r\n"
    )
    return head.encode() + body


def encoded(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


def multipart(subtype: str, *parts: tuple[str, str, bytes], extra: str = "") -> bytes:
    """A multipart mail; each part is (content type, transfer encoding, body)."""
    boundary = "==b0undary=="
    body = b""
    for content_type, cte, data in parts:
        body += (
            (
                f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Transfer-Encoding: {cte}\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return mail(body, f'multipart/{subtype}; boundary="{boundary}"{extra}', "7bit")


def text_of(raw: bytes):
    return body_of(read_message(raw))


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-2", "windows-1250", "ISO-8859-16"])
@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "8bit"])
def test_polish_letters_arrive_intact(charset, cte):
    raw = mail(encoded(POLISH.encode(charset), cte), f'text/plain; charset="{charset}"', cte)
    assert text_of(raw) == MailText(POLISH)


@pytest.mark.parametrize("cte", ["quoted-printable", "base64", "7bit"])
def test_us_ascii(cte):
    raw = mail(encoded(b"Zazolc gesla jazn", cte), "text/plain; charset=us-ascii", cte)
    assert text_of(raw) == MailText("Zazolc gesla jazn")


@pytest.mark.parametrize("charset", ["utf-8", "iso-8859-2", "windows-1250"])
@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_polish_letters_in_html_arrive_intact(charset, cte):
    html = f"<p>{POLISH}</p>".encode(charset)
    raw = mail(encoded(html, cte), f"text/html; charset={charset}", cte)
    assert text_of(raw) == MailText(POLISH)


def test_built_with_the_email_package_too():
    message = EmailMessage()
    message.set_content(POLISH + "\n", charset="utf-8", cte="quoted-printable")
    assert text_of(message.as_bytes()) == MailText(POLISH + "\n")


def test_undeclared_charset_reads_utf8():
    raw = b"Subject: x\r\n\r\n" + POLISH.encode("utf-8")
    assert text_of(raw) == MailText(POLISH)


def test_undeclared_charset_falls_back_to_windows_1250():
    raw = b"Subject: x\r\n\r\n" + POLISH.encode("windows-1250")
    assert text_of(raw) == MailText(POLISH)


def test_unknown_charset_is_refused_naming_it():
    result = text_of(mail(b"tekst", "text/plain; charset=x-klingon"))
    assert result.reason == UNKNOWN_CHARSET
    assert "„x-klingon”" in result.detail


def test_bytes_invalid_in_the_declared_charset_are_refused():
    result = text_of(mail(b"\xff\xfe tekst", "text/plain; charset=utf-8"))
    assert result.reason == UNKNOWN_CHARSET
    assert "utf-8" in result.detail


def test_a_codec_that_is_not_a_text_encoding_is_an_unknown_charset():
    assert text_of(mail(b"dGVrc3Q=", "text/plain; charset=base64")).reason == UNKNOWN_CHARSET


def test_control_characters_in_the_charset_name_are_not_echoed():
    result = text_of(mail(b"tekst", 'text/plain; charset="x\\\\\x07bad"'))
    assert result.reason == UNKNOWN_CHARSET
    assert "\x07" not in result.detail


def test_multipart_alternative_picks_text_plain():
    message = EmailMessage()
    message.set_content("601123456\n---\nz text/plain\nEND\n")
    message.add_alternative("<p>z text/html</p>", subtype="html")
    assert text_of(message.as_bytes()) == MailText("601123456\n---\nz text/plain\nEND\n")


def test_text_plain_is_preferred_even_after_the_html_part():
    raw = multipart(
        "alternative",
        ("text/html; charset=utf-8", "7bit", b"<p>html</p>"),
        ("text/plain; charset=utf-8", "7bit", b"plain"),
    )
    assert text_of(raw) == MailText("plain")


def test_an_attached_text_file_is_not_the_body():
    boundary = "==b0undary=="
    raw = mail(
        (
            f"--{boundary}\r\nContent-Type: text/plain\r\n"
            'Content-Disposition: attachment; filename="lista.txt"\r\n\r\n'
            "601123456\r\n"
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n"
            "body\r\n"
            f"--{boundary}--\r\n"
        ).encode(),
        f'multipart/mixed; boundary="{boundary}"',
        "7bit",
    )
    assert text_of(raw) == MailText("body")


def test_a_forwarded_mail_is_not_looked_into():
    inner = b"Content-Type: text/plain\r\n\r\nforwarded text\r\n"
    raw = multipart(
        "mixed",
        ("text/html; charset=utf-8", "7bit", b"<div>own text</div>"),
        ("message/rfc822", "7bit", inner),
    )
    assert text_of(raw) == MailText("own text")


def test_html_only_is_reduced_to_text():
    html = (
        "<html><head><title>Tytuł</title><style>p { color: red }</style></head><body>"
        "<div>motylek123</div><div>601&nbsp;123&nbsp;456</div><div>---</div>"
        "<p>Za&#380;&oacute;&#322;&#263;\n   <b>gęślą</b> jaźń<br>druga linia</p>"
        "<script>document.write('nie')</script>"
        "<div><br></div><div>po pustej</div><div>END</div></body></html>"
    )
    result = text_of(mail(html.encode(), "text/html; charset=utf-8"))
    assert result == MailText(
        "motylek123\n601 123 456\n---\nZażółć gęślą jaźń\ndruga linia\n\npo pustej\nEND"
    )


def test_html_body_parses_as_a_request():
    html = "<div>motylek123</div><div>601&nbsp;123&nbsp;456</div><div>---</div><div>Cześć</div>"
    text = text_of(mail(html.encode(), "text/html; charset=utf-8")).text
    parsed = parse.parse_body(
        text, target=parse.Box(), password="motylek123", now=timezone.localtime()
    )
    assert (parsed.numbers, parsed.text, parsed.password_given) == (
        ("48601123456",),
        "Cześć",
        True,
    )


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("<div><div><div>a</div></div></div><div>b</div>", "a\nb"),
        ("a<br/>b<br>c", "a\nb\nc"),
        ("<pre>  a\n  b</pre>", "a\nb"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("&lt;tag&gt; &amp; &quot;", '<tag> & "'),
        ("<p>unclosed", "unclosed"),
        ("<![if !supportLists]>x<![endif]>", "x"),  # Outlook's conditional lists
        ("before<![foo bar]>after", "beforeafter"),  # a declaration is skipped
        ("a < b, c<d and e>f", "a < b, cf"),  # "< " is a character; "<d …>" a tag
        ("<p title='x>y'>z</p>", "y'>z"),  # a tag ends at its first ">"
        ("x<script>if (a<b) {}</script>y", "xy"),
        ("x<SCRIPT>a</b></ScRiPt >y", "xy"),
        ("x<!-- <p>hidden</p> -->y<!-- open", "xy"),
        ("x<a href", "x"),  # a tag left open is dropped
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_format_flowed_is_unwrapped():
    # The folded line ends in a space; the next one is space-stuffed.
    body = "601123456\r\n---\r\nTo jest długa linia, którą \r\n program zawinął.\r\nEND\r\n"
    raw = mail(body.encode(), "text/plain; charset=utf-8; format=flowed")
    assert text_of(raw) == MailText(
        "601123456\n---\nTo jest długa linia, którą program zawinął.\nEND\n"
    )


def test_format_flowed_with_delsp():
    raw = mail(b"abc \r\ndef\r\n", "text/plain; charset=utf-8; format=flowed; delsp=yes")
    assert text_of(raw) == MailText("abcdef\n")


def test_no_text_part_is_refused():
    raw = mail(base64.encodebytes(b"%PDF-1.4"), "application/pdf", "base64")
    assert text_of(raw).reason == NO_TEXT


def test_pgp_mime_is_encrypted():
    raw = multipart(
        "encrypted",
        ("application/pgp-encrypted", "7bit", b"Version: 1"),
        ("application/octet-stream", "7bit", ARMOUR.encode()),
        extra='; protocol="application/pgp-encrypted"',
    )
    # The line break before the boundary belongs to the boundary.
    assert text_of(raw) == Encrypted(ARMOUR.encode(), entity=True)


def test_pgp_mime_inside_multipart_mixed_is_encrypted():
    boundary = "inner"
    inner = (
        f"--{boundary}\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n{ARMOUR}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    raw = multipart(
        "mixed",
        ("text/plain", "7bit", b"see the encrypted part"),
        (
            f'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="{boundary}"',
            "7bit",
            inner,
        ),
    )
    assert text_of(raw) == Encrypted(ARMOUR.encode(), entity=True)


def test_pgp_mime_without_data_is_refused():
    raw = multipart("encrypted", ("application/pgp-encrypted", "7bit", b"Version: 1"))
    assert text_of(raw).reason == NO_TEXT


@pytest.mark.parametrize("cte", ["7bit", "base64", "quoted-printable"])
def test_inline_armour_is_encrypted(cte):
    body = ("Sent from my phone\n" + ARMOUR + "-- \nJan\n").encode()
    raw = mail(encoded(body, cte), "text/plain; charset=us-ascii", cte)
    assert text_of(raw) == Encrypted(ARMOUR.encode(), charset="us-ascii")


def test_inline_armour_without_end_line_is_still_encrypted():
    body = ARMOUR.split("-----END")[0]
    assert text_of(mail(body.encode())) == Encrypted(body.encode() + b"\n", charset="utf-8")


@pytest.mark.parametrize(
    "raw", [b"", b"\x00\xff" * 50, b"Content-Type: multipart/mixed\r\n\r\n--", b"From:\r\n"]
)
def test_garbage_gives_a_result(raw):
    assert isinstance(text_of(raw), MailText | Encrypted | BodyError)


# properties

REASONS = parse.REASONS | mime.REASONS


def check(result):
    assert isinstance(result, MailText | Encrypted | BodyError)
    if isinstance(result, BodyError):
        assert result.reason in REASONS
    if isinstance(result, Encrypted):
        assert result.armoured


@settings(max_examples=examples(1_000), deadline=None)
@given(st.binary(max_size=2_000))
def test_body_of_never_raises_on_arbitrary_bytes(raw):
    check(body_of(read_message(raw)))


CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "text/plain; charset=utf-8",
            'text/plain; charset="iso-8859-2"; format=flowed; delsp=yes',
            "text/plain; charset=x-unknown",
            "text/plain; charset*=utf-8''%C4%85",
            'text/plain; charset="',
            "text/html; charset=windows-1250",
            "text/html",
            "application/octet-stream",
            "application/pgp-encrypted",
            "message/rfc822",
            "text/;;;",
            "",
        ]
    ),
    st.text(max_size=30).map(lambda s: s.replace("\r", "").replace("\n", "")),
)
TRANSFER_ENCODINGS = st.sampled_from(
    ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "garbage", ""]
)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"<![if x]><!-- <div>a<br>b</div><script>x",
            b"<!DOCTYPE html><p>a&#xZZ;&#99999999;</p>",
            ARMOUR.encode(),
            b"=C4=85=\r\n=ZZ",
            b"xQ==\r\n!!!",
        ]
    ),
)
LEAVES = st.tuples(CONTENT_TYPES, TRANSFER_ENCODINGS, BODIES)


def render(tree, depth=0) -> bytes:
    if len(tree) == 3:
        content_type, cte, data = tree
        return (
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode()
            + data
        )
    subtype, children = tree
    boundary = f"b{depth}"
    body = b"".join(
        f"\r\n--{boundary}\r\n".encode() + render(child, depth + 1) for child in children
    )
    head = (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"; '
        'protocol="application/pgp-encrypted"\r\n\r\n'
    )
    return head.encode() + body + f"\r\n--{boundary}--\r\n".encode()


TREES = st.recursive(
    LEAVES,
    lambda children: st.tuples(
        st.sampled_from(["mixed", "alternative", "encrypted", "related", "x"]),
        st.lists(children, max_size=4),
    ),
    max_leaves=8,
)


@settings(max_examples=examples(1_000), deadline=None)
@given(TREES)
def test_body_of_never_raises_on_mime_shaped_mail(tree):
    check(body_of(read_message(b"Subject: x\r\nMIME-Version: 1.0\r\n" + render(tree))))
