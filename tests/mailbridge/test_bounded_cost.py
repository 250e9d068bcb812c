"""One mail costs a bounded time, whatever it holds (mailbridge.mime, mailbridge.pgp).

The shapes below cost seconds to minutes each before: Python's HTML parser is
quadratic on unclosed tags, a ``punycode`` part decodes in quadratic time, the
email package splits a long parameter list in quadratic time, and a compressed
PGP message unpacks to far more than its size. They reach the parser before
any password is checked, from anyone who can forge an authorised From:.
"""

import base64
import smtplib
import threading
import time
from decimal import Decimal
from email.utils import make_msgid

import pytest
from django.core import mail as outbox

from mailbridge import intake, mime, pgp, replies
from mailbridge.models import InboundMail, Outcome, Sms2EmailSettings
from mailbridge.senders import set_authorised
from mailbridge.smtp import Running
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail
from tests.mailbridge.test_pgp import _keyring, pgp_mime
from tests.workers import stop_gpg_agent

UNCLOSED_TAGS = "<a " * 8000  # 24 KB: 5 s in html.parser
PUNYCODE = (("a" + "ą") * 100_000).encode("punycode")  # 200 KB: 13 s to decode


def shaped(content_type: str, body: bytes, subject: str = "Zamówienie") -> bytes:
    """A mail as written by hand: base64, so that no line passes SMTP's 1,000 octets,
    and its Content-Type folded for the same reason."""
    content_type = "\r\n ".join(content_type[i : i + 500] for i in range(0, len(content_type), 500))
    head = (
        f"From: Jan Kowalski <{SENDER}>\r\nTo: box@{domain()}\r\nSubject: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='firma.pl')}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(body).replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def mail_client(tmp_path_factory):
    """A customer's keyring holding the platform's public key."""
    home = tmp_path_factory.mktemp("mail-client")
    client = _keyring(home)
    assert client.import_keys(pgp.public_key()).fingerprints
    yield client
    stop_gpg_agent(home)


def encrypted_entity(client, entity: bytes) -> bytes:
    """A PGP/MIME mail whose (compressed) plaintext is ``entity``."""
    [fingerprint] = [key["fingerprint"] for key in client.list_keys()]
    result = client.encrypt(
        entity, fingerprint, armor=True, always_trust=True, extra_args=["--compress-level", "9"]
    )
    assert result.ok, result.stderr
    return pgp_mime(str(result))


def bare_cr_parameters() -> bytes:
    """A Content-Type folded on bare CRs, which the parser takes for line ends: its
    lines stay under SMTP's limit, and a scan for long headers line by line at LF
    sees none. 100 KB of it took 12 s to parse."""
    folded = b"".join((b"\r " if n % 2 else b"\r\n ") + b";" * 450 for n in range(200))
    head = (
        f"From: Jan Kowalski <{SENDER}>\r\nTo: box@{domain()}\r\nSubject: x\r\n"
        f"Message-ID: {make_msgid(domain='firma.pl')}\r\nMIME-Version: 1.0\r\n"
    ).encode()
    return head + b'Content-Type: text/plain; charset=utf-8; a="' + folded + b'"\r\n\r\nHej\r\n'


def bare_cr_parts() -> bytes:
    """200,000 parts on bare CRs: seen as one line by a count of LF-ended lines (SMTP
    refuses a line that long; a pipe from an MTA may not)."""
    return (
        f"From: {SENDER}\r\nMessage-ID: {make_msgid(domain='firma.pl')}\r\n".encode()
        + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"\r--b\r\r" * 100_000
    )


def encrypted_to_many(client, keys: int = 1000) -> bytes:
    """A PGP/MIME mail whose message opens with ``keys`` session-key packets: gpg tries
    each one (1,000: 10 s), and they are cheap to make, so this one is copied."""
    mail = encrypted_entity(client, b"Content-Type: text/plain\r\n\r\nHej")
    armour = mail[mail.index(b"-----BEGIN PGP MESSAGE-----") :]
    armour = armour[: armour.index(b"-----END PGP MESSAGE-----") + 25]
    packets = pgp.binary_prefix(armour, size=1 << 20)
    first = _first_packet(packets)
    flood = first * keys + packets
    encoded = base64.encodebytes(flood).replace(b"\n", b"\r\n")
    body = b"-----BEGIN PGP MESSAGE-----\r\n\r\n" + encoded + b"-----END PGP MESSAGE-----\r\n"
    return mail.replace(armour, body)


def _first_packet(packets: bytes) -> bytes:
    first = packets[0]
    if first & 0x40:  # new format, a one- or two-octet length
        octet = packets[1]
        length, header = (octet, 2) if octet < 192 else (((octet - 192) << 8) + packets[2] + 192, 3)
    else:
        size = 1 << (first & 0x03)
        length, header = int.from_bytes(packets[1 : 1 + size], "big"), 1 + size
    return packets[: header + length]


def shapes(client) -> dict[str, bytes]:
    html_entity = b"Content-Type: text/html; charset=utf-8\r\n\r\n" + UNCLOSED_TAGS.encode()
    return {
        "html of unclosed tags": shaped("text/html; charset=utf-8", UNCLOSED_TAGS.encode()),
        "html of open attribute quotes": shaped(
            "text/html; charset=utf-8", b"<a b='" * 30_000
        ),  # 98 s in html.parser
        "pgp/mime unpacking to unclosed tags": encrypted_entity(client, html_entity),
        "pgp bomb": encrypted_entity(client, b"\0" * 50_000_000),
        "punycode part": shaped("text/plain; charset=punycode", PUNYCODE),
        "parameters": shaped('text/plain; charset=utf-8; a="' + ";" * 100_000 + '"', b"Hej"),
        "parameters folded on bare CRs": bare_cr_parameters(),
        "a flood of session keys": encrypted_to_many(client),
        "nested multiparts": (
            f"From: {SENDER}\r\nMessage-ID: {make_msgid(domain='firma.pl')}\r\n".encode()
            + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
            + b"".join(
                b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
                for i in range(3000)
            )
        ),
    }


def test_the_html_parser_is_linear_on_unclosed_tags():
    assert mime.html_to_text("tekst" + UNCLOSED_TAGS) == "tekst"
    assert mime.html_to_text("<p>a</p>" + "<a b='" * 30_000) == "a"


@pytest.mark.django_db
def test_a_punycode_part_is_refused_with_a_reply_naming_the_charsets_read(mail_service):
    request = f"{PASSWORD}\n601123456\n---\nCześć".encode("punycode")
    intake.handle(
        shaped("text/plain; charset=punycode", request),
        envelope_sender=SENDER,
        recipients=[f"box@{domain()}"],
    )
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason) == (Outcome.REFUSED, mime.UNKNOWN_CHARSET)
    replies.send_due()
    [reply] = outbox.outbox
    assert "„punycode”" in reply.body and "UTF-8" in reply.body


@pytest.mark.parametrize("charset", ["idna", "base64", "rot13", "utf-16", "cp852", "hz"])
def test_only_text_charsets_are_read(charset):
    result = mime.body_of(mime.read_message(shaped(f"text/plain; charset={charset}", b"abc")))
    assert result.reason == mime.UNKNOWN_CHARSET


@pytest.mark.parametrize(
    "charset",
    ["utf-8", "UTF8", "us-ascii", "iso-8859-2", "latin2", "windows-1250", "cp1257", "koi8-r"],
)
def test_the_text_charsets_are_read(charset):
    result = mime.body_of(mime.read_message(shaped(f"text/plain; charset={charset}", b"abc")))
    assert result == mime.MailText("abc")


@pytest.mark.django_db
def test_a_parameter_list_too_long_to_parse_is_refused_with_a_reply(mail_service):
    raw = shaped('text/plain; charset=utf-8; a="' + ";" * 100_000 + '"', b"Hej")
    intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason) == (Outcome.REFUSED, mime.UNREADABLE)
    assert "Content-Type" in row.detail


@pytest.mark.django_db
def test_a_pgp_bomb_is_refused_as_too_large_not_as_someone_elses(mail_service, mail_client):
    raw = encrypted_entity(mail_client, b"\0" * 50_000_000)
    assert len(raw) < 100_000
    intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason) == (Outcome.REFUSED, intake.PGP_TOO_LARGE)
    assert "1024 KB" in row.detail


@pytest.mark.django_db
def test_a_long_mail_is_read_up_to_the_cut_with_the_same_outcome(mail_service):
    # A request at the top of 300 KB of quoted thread: the cut is far below it.
    quoted = "\n".join(f"> linia {i} starej korespondencji" for i in range(10_000))
    raw = mail(f"{PASSWORD}\n601123456\n---\nZamówienie gotowe\n\n{quoted}")
    read = mime.body_of(mime.read_message(raw))
    assert len(read.text.encode()) <= mime.MAX_TEXT_BYTES < len(quoted)
    intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    assert Message.objects.get().text == "Zamówienie gotowe"


def test_a_cut_inside_a_character_leaves_the_character_out():
    text = ("ą" * mime.MAX_TEXT_BYTES).encode()  # two bytes each: the cut splits none
    odd = b"x" + text  # now it splits one
    assert mime.body_of(mime.read_message(shaped("text/plain; charset=utf-8", odd))).text == (
        "x" + "ą" * (mime.MAX_TEXT_BYTES // 2 - 1)
    )


@pytest.mark.parametrize("shape", [bare_cr_parameters, bare_cr_parts])
def test_bare_carriage_returns_are_line_ends_to_the_limits_too(shape):
    assert mime.body_of(mime.read_message(shape())).reason == mime.UNREADABLE


def test_a_plain_mail_with_many_lines_starting_with_dashes_is_read():
    body = ("-- odpowiedź\n" * 600 + "Hej").encode()
    assert mime.body_of(mime.read_message(shaped("text/plain; charset=utf-8", body))).text.endswith(
        "Hej"
    )


@pytest.mark.django_db
def test_a_flood_of_session_keys_is_refused_before_gpg_tries_them(mail_service, mail_client):
    intake.handle(
        encrypted_to_many(mail_client), envelope_sender=SENDER, recipients=[f"box@{domain()}"]
    )
    row = InboundMail.objects.get()
    assert (row.outcome, row.reason) == (Outcome.REFUSED, intake.PGP_TOO_MANY_KEYS)


def test_a_message_to_a_few_keys_is_decrypted(mail_client):
    raw = encrypted_to_many(mail_client, keys=3)  # ours, three times over: four in all
    armour = raw[raw.index(b"-----BEGIN PGP MESSAGE-----") :]
    assert pgp.session_keys(pgp.binary_prefix(armour)) == 4
    assert pgp.decrypt(armour) is not None


@pytest.mark.django_db
def test_a_mail_to_many_addresses_is_decrypted_once(mail_service, mail_client, monkeypatch):
    runs = []
    real = pgp._decrypt_once
    monkeypatch.setattr(pgp, "_decrypt_once", lambda data: runs.append(1) or real(data))
    to = [f"48601{n:06d}@{domain()}" for n in range(5)]
    entity = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{PASSWORD}\n---\nHej".encode()
    intake.handle(encrypted_entity(mail_client, entity), envelope_sender=SENDER, recipients=to)
    assert InboundMail.objects.count() == 5
    assert len(runs) == 1


@pytest.mark.django_db
def test_a_subject_in_a_charset_we_do_not_read_is_kept_as_it_came(mail_service):
    subject = "=?punycode?q?" + "a" * 900 + "?="
    raw = shaped("text/plain; charset=utf-8", f"{PASSWORD}\n601123456\n---\nHej".encode(), subject)
    intake.handle(raw, envelope_sender=SENDER, recipients=[f"box@{domain()}"])
    assert InboundMail.objects.get().subject.startswith("=?punycode?q?aaa")


# The listener: handling is done in a pool of threads, so one costly mail holding
# a thread for seconds held every other customer's mail queued behind the pool.
# SQLite's test database locks whole tables: concurrent sessions get 451 there.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_costly_mails_do_not_hold_up_another_customers_mail(
    mail_service, make_service, mail_client
):
    other = make_service(balance=Decimal("5.00"))
    other_settings = Sms2EmailSettings.objects.create(
        service=other, enabled=True, accept_unsecured=True
    )
    set_authorised(other_settings, "anna@biuro.pl")
    costly = list(shapes(mail_client).items()) * 2
    answers = {}

    def send(key, sender, raw):
        with smtplib.SMTP("127.0.0.1", listener.port, timeout=120) as client:
            answers[key] = client.sendmail(sender, [f"box@{domain()}"], raw)

    with Running(workers=8) as listener:
        threads = [
            threading.Thread(target=send, args=((name, i), SENDER, raw))
            for i, (name, raw) in enumerate(costly)
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # the costly mails are in the pool now
        started = time.monotonic()
        send("normal", "anna@biuro.pl", mail("601123456\n---\nZwykły SMS", sender="anna@biuro.pl"))
        elapsed = time.monotonic() - started
        for thread in threads:
            thread.join(120)
    assert answers["normal"] == {}
    assert elapsed < 1.0, f"a normal mail waited {elapsed:.1f} s behind costly ones"
    assert len(answers) == len(costly) + 1  # each costly mail was answered 250 too
    assert Message.objects.get(service=other).text == "Zwykły SMS"
    refused = InboundMail.objects.filter(service=mail_service, outcome=Outcome.REFUSED)
    assert refused.count() == len(costly) // 2  # a copy (same Message-ID) changes nothing
