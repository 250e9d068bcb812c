"""The SMTP fuzz's mails (tests/mailbridge/generated.py), a few in the main suite: read
and parsed in-process without an error, and without the warning the MIME reader logs
when the email package fails on a mail (tests/chaos/test_smtp_fuzz.py sends hundreds
through the real listener)."""

import logging
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings

from mailbridge import mime, parse
from tests.conftest import examples
from tests.mailbridge.generated import mails

LIMIT = 64 * 1024


@settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    mails(password="motylek123", sender="jan@firma.pl", box="box@x.pl", domain="x.pl", limit=LIMIT)
)
def test_a_generated_mail_is_read_without_an_error(mail):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("mailbridge").addHandler(handler)
    try:
        body = mime.body_of(mime.read_message(mail.raw))
        if isinstance(body, mime.MailText):
            parsed = parse.parse_body(
                body.text,
                target=parse.parse_address("box@x.pl", "x.pl"),
                password="motylek123",
                now=datetime(2026, 12, 7, 12, tzinfo=UTC),
            )
            assert isinstance(parsed, parse.ParsedBody | parse.BodyError)
    finally:
        logging.getLogger("mailbridge").removeHandler(handler)

    assert isinstance(body, mime.MailText | mime.Encrypted | parse.BodyError)
    assert [r.getMessage() for r in records if r.exc_info] == []
