"""The SMTP door's limits at them and one past them: a mail of exactly
SMS2EMAIL_MAX_BYTES is taken, one byte more is 552, and the listener holds no more
than the limit of a mail many times larger; ``receive_mail`` (the pipe door) sends the
one at the limit and drops the larger (README "Limits"; the RCPT limit is in
test_max_numbers.py)."""

import io
import smtplib
import sys
import tracemalloc

import pytest
from django.core.management import call_command

from mailbridge.models import InboundMail
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail, smtp

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 20_000


def sized(size: int) -> bytes:
    """A request mail of exactly ``size`` bytes on the wire (filler after END)."""
    raw = mail(f"{PASSWORD}\n601123456\n---\nRozmiar\nEND\n")
    raw = raw.replace(b"\n", b"\r\n") if b"\r\n" not in raw else raw
    lines, rest = divmod(size - len(raw), 80)
    filler = [b"Q" * 78 + b"\r\n"] * lines
    if rest == 1:
        filler[0] = b"Q" + filler[0]
    elif rest:
        filler.append(b"Q" * (rest - 2) + b"\r\n")
    raw += b"".join(filler)
    assert len(raw) == size
    return raw


def send_data(listener, raw: bytes) -> int:
    """DATA without a SIZE declared: the reply after the whole body."""
    with smtp(listener) as client:
        client.ehlo()
        client.mail(SENDER)
        client.rcpt(f"box@{domain()}")
        # As smtplib's data() would, but in 64 KB chunks without copying the mail
        # (the filler has no line starting with a dot).
        client.putcmd("data")
        assert client.getreply()[0] == 354
        view = memoryview(raw)
        for start in range(0, len(raw), 65536):
            client.sock.sendall(view[start : start + 65536])
        client.sock.sendall(b".\r\n")
        return client.getreply()[0]


@pytest.mark.parametrize("declared", [False, True], ids=["undeclared", "SIZE"])
def test_a_mail_of_exactly_the_limit_is_taken_and_one_byte_more_is_552(
    listener, mail_service, settings, declared
):
    settings.SMS2EMAIL_MAX_BYTES = LIMIT

    def code(size):
        raw = sized(size)
        if not declared:
            return send_data(listener, raw)
        with smtp(listener) as client:
            try:
                client.sendmail(SENDER, [f"box@{domain()}"], raw)
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as refused:
                return refused.smtp_code
            return 250

    assert code(LIMIT) == 250
    assert code(LIMIT + 1) == 552
    assert Message.objects.count() == 1


def test_a_mail_far_over_the_limit_is_refused_holding_at_most_the_limit(
    listener, mail_service, settings
):
    # 20 MB sent without SIZE against a 1 MB limit: aiosmtpd drops what it held once
    # past the limit and reads the rest line by line, so this process's peak stays
    # near the limit, not the mail.
    settings.SMS2EMAIL_MAX_BYTES = 1024 * 1024
    raw = sized(20 * 1024 * 1024)
    tracemalloc.start()
    try:
        code = send_data(listener, raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert code == 552
    assert peak < 4 * 1024 * 1024, peak
    assert not Message.objects.exists()


def test_receive_mail_sends_a_mail_of_exactly_the_limit_and_drops_one_byte_more(
    mail_service, settings, monkeypatch
):
    settings.SMS2EMAIL_MAX_BYTES = LIMIT
    for size in (LIMIT, LIMIT + 1):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(sized(size))))
        call_command("receive_mail", "--sender", SENDER, "--recipient", f"box@{domain()}")

    assert Message.objects.count() == 1
    assert InboundMail.objects.count() == 1  # the larger one was not even read
