"""The SMTP listener fuzzed: hundreds of generated mails (tests/mailbridge/generated.py:
nested multiparts, HTML, attachments, charsets good, unknown and bogus, broken base64,
long lines, missing and doubled headers, encoded-word subjects, sizes up to just over
SMS2EMAIL_MAX_BYTES) sent over real SMTP, one connection each, to ``manage.py smtpd``
on the demo. Every mail gets the reply its bytes call for (250, 552 over the limit,
500 for a line over 1,000 octets, 550 for an address not ours) within ``MAIL_SECONDS``,
never the 451 an unexpected exception gets; the listener lives on, still sends a good
mail as an SMS, and logged no traceback."""

import collections
import logging
import os
import random
import smtplib
import time
import uuid

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.mailbridge.generated import GeneratedMail, mails

from .accounts import wait_until_final

logger = logging.getLogger(__name__)

MAILS = 600
# New mails on every run, from a seed the log names: SMTP_FUZZ_SEED=<it> draws them again.
SEED = int(os.environ.get("SMTP_FUZZ_SEED") or random.randrange(2**32))
MAIL_SECONDS = 5.0
LIMIT = 1024 * 1024  # SMS2EMAIL_MAX_BYTES, as deployed by default


def deliver(port: int, mail: GeneratedMail) -> tuple[int, float]:
    """One SMTP transaction on a connection of its own: the reply that ended it (MAIL,
    RCPT or DATA) and the seconds from connecting to that reply."""
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=3 * MAIL_SECONDS) as client:
        client.ehlo("fuzz.example")
        options = [f"SIZE={len(mail.wire())}"] if mail.declare_size else []
        code, _ = client.mail(mail.mail_from, options)
        if code == 250:
            code, _ = client.rcpt(mail.rcpt)
        if code == 250:
            code, _ = client.data(mail.raw)
        return code, time.monotonic() - started


def test_generated_mails_each_get_their_reply_in_bounded_time(postgres, deploy, tmp_path):
    platform = deploy(postgres, SMS2EMAIL_MAX_BYTES=LIMIT)
    demo = platform.demo
    log_path = tmp_path / "smtpd.log"
    with log_path.open("wb") as log:
        listener, port = platform.smtpd(output=log)
    domain = demo["sms2email_address"].split("@", 1)[1]
    replies: collections.Counter = collections.Counter()
    wrong: list = []
    slowest = [0.0, None]

    logger.info("SMTP fuzz: seed %d (SMTP_FUZZ_SEED=%d repeats these mails)", SEED, SEED)

    @seed(SEED)
    @settings(
        max_examples=MAILS,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # a failure is reported as it came, not shrunk over SMTP
        suppress_health_check=list(HealthCheck),
    )
    @given(
        mails(
            password=demo["sms2email_password"],
            sender=demo["sms2email_sender"],
            box=demo["sms2email_address"],
            domain=domain,
            limit=LIMIT,
        )
    )
    def one(mail):
        code, seconds = deliver(port, mail)
        replies[code] += 1
        if seconds > slowest[0]:
            slowest[:] = [seconds, (len(mail.raw), code)]
        if code not in mail.expected_codes(LIMIT) or seconds > MAIL_SECONDS:
            wrong.append((code, round(seconds, 2), mail.expected_codes(LIMIT), mail.raw[:3000]))

    started = time.monotonic()
    one()
    took = time.monotonic() - started
    count = sum(replies.values())
    logger.info(
        "%d mails in %.0f s, replies %s, slowest %.2f s (%s bytes, reply %s)",
        count,
        took,
        dict(replies),
        slowest[0],
        *slowest[1],
    )
    outcomes = postgres.query(
        "SELECT outcome, reason, count(*) FROM mailbridge_inboundmail GROUP BY 1, 2 ORDER BY 3 DESC"
    )
    logger.info("what the bridge made of them: %s", outcomes)
    assert count == MAILS
    assert wrong == [], f"SMTP_FUZZ_SEED={SEED} repeats these mails"
    # Most mails got past SMTP to the bridge, which sent some and refused others.
    assert replies[250] > MAILS // 2, replies
    assert {"sent", "refused", "dropped"} <= {outcome for outcome, _, _ in outcomes}, outcomes

    # Alive, and a good mail still becomes an SMS that is sent.
    assert listener.poll() is None
    text = f"Po fuzzingu {uuid.uuid4().hex[:8]}"
    good = GeneratedMail(
        raw=(
            f"From: {demo['sms2email_sender']}\r\nTo: {demo['sms2email_address']}\r\n"
            f"Subject: ok\r\nMessage-ID: <{uuid.uuid4().hex}@fuzz.example>\r\n\r\n"
            f"{demo['sms2email_password']}\r\n601100299\r\n---\r\n{text}\r\nEND\r\n"
        ).encode(),
        mail_from=demo["sms2email_sender"],
        rcpt=demo["sms2email_address"],
        declare_size=True,
        ours=True,
    )
    assert deliver(port, good)[0] == 250
    [(message_id,)] = postgres.query("SELECT id FROM messaging_message WHERE text = %s", [text])
    platform.qcluster()
    wait_until_final(postgres, [message_id], timeout=60)
    assert postgres.value(
        "SELECT status FROM messaging_recipient WHERE message_id = %s", [message_id]
    ) == ("DELIVERED")

    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
    assert "could not be handled" not in log, log[-5000:]
