"""The outgoing SMTP server down, then up: the reply to a refused mail, a delivery report
by mail, an incoming SMS mailed to the customer and a low-balance notice, all written
while the server refused connections, are each delivered once it is back."""

import logging
import smtplib
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.workers import free_port

logger = logging.getLogger(__name__)


class Recorder:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def test_mail_written_while_smtp_is_down_is_delivered_once_it_is_up(postgres, deploy):
    mail_port = free_port()  # nothing listens there yet
    platform = deploy(postgres, EMAIL_URL=f"smtp://127.0.0.1:{mail_port}")
    demo = platform.demo
    service = demo["service_id"]
    _, web = platform.gunicorn()
    platform.qcluster()
    _, smtp = platform.smtpd()
    # The customer reads incoming SMS at a confirmed address, and wants a low-balance mail.
    postgres.query(
        "INSERT INTO mailbridge_recipientaddress (settings_id, address, confirmed_at, "
        "token_digest) SELECT id, 'biuro@example.com', now(), '' "
        "FROM mailbridge_sms2emailsettings WHERE service_id = %s",
        [service],
    )
    postgres.query(
        "UPDATE accounts_service SET low_balance_threshold = balance + 1000 WHERE id = %s",
        [service],
    )

    def mail(body: str) -> None:
        message = EmailMessage()
        message["From"] = demo["sms2email_sender"]
        message["To"] = demo["sms2email_address"]
        message["Subject"] = "Zamówienie"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
        message.set_content(body)
        with smtplib.SMTP("127.0.0.1", smtp, timeout=30) as client:
            client.send_message(message)

    mail(f"{demo['sms2email_password']}\n601100200\n---\nPaczka gotowa\nEND\n")  # a report
    mail("zle-haslo\n601100201\n---\nTest\nEND\n")  # refused: a reply
    answer = platform.api(
        web,
        f"incoming/{demo['sms_hash']}/",
        from_number="48601100202",
        to_number="48600000000",
        sms_message="Czy paczka już jest?",
        sms_date=str(int(time.time())),
    )
    assert answer["error"] == "OK", answer

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _failed_attempts(postgres) < 4:
        time.sleep(1)
    assert _failed_attempts(postgres) >= 4, "each was tried while the server was down"
    written = postgres.query(
        "SELECT kind, count(*) FROM mailbridge_outboundmail GROUP BY kind ORDER BY kind"
    )
    logger.info("written while down: %s", written)
    assert {kind for kind, _ in written} >= {"incoming_sms", "notice", "report"}, written

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=mail_port)
    controller.start()
    back = time.monotonic()
    try:
        deadline = back + 240
        while time.monotonic() < deadline and not _all_sent(postgres):
            time.sleep(1)
        took = time.monotonic() - back
        time.sleep(5)  # anything sent twice would come now
    finally:
        controller.stop()

    assert _all_sent(postgres), postgres.query(
        "SELECT kind, state, attempts, last_error FROM mailbridge_outboundmail"
    ) + postgres.query(
        "SELECT outcome, reason, reply_state, reply_attempts, reply_due_at, now(), reply_error "
        "FROM mailbridge_inboundmail"
    )
    expected = postgres.value(
        "SELECT (SELECT count(*) FROM mailbridge_outboundmail) + "
        "(SELECT count(*) FROM mailbridge_inboundmail WHERE reply_state <> '')"
    )
    ids = [mail["Message-ID"] for mail in recorder.mails]
    assert len(ids) == len(set(ids)) == expected, ids
    subjects = sorted(str(mail["Subject"]) for mail in recorder.mails)
    assert any(subject.startswith("Re: Zamówienie") for subject in subjects), subjects
    logger.info("delivered once, %.1f s after the server came back: %s", took, subjects)


def _failed_attempts(postgres) -> int:
    return postgres.value(
        "SELECT (SELECT COALESCE(SUM(attempts), 0) FROM mailbridge_outboundmail) + "
        "(SELECT COALESCE(SUM(reply_attempts), 0) FROM mailbridge_inboundmail)"
    )


def _all_sent(postgres) -> bool:
    return postgres.value(
        "SELECT NOT EXISTS (SELECT 1 FROM mailbridge_outboundmail WHERE state <> 'sent') "
        "AND NOT EXISTS (SELECT 1 FROM mailbridge_inboundmail "
        "WHERE reply_state NOT IN ('', 'sent'))"
    )
