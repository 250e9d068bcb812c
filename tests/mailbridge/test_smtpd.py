"""The SMTP door: a real aiosmtpd listener on loopback, driven by smtplib."""

import smtplib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from mailbridge.models import InboundMail, Outcome
from messaging import services
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail, smtp

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mail_over_smtp_becomes_a_message_with_its_numbers_text_flash_and_time(
    listener, mail_service
):
    when = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%d")
    body = f"{PASSWORD}\n{when} 15:00 flash\n601 123 456\n---\nPrzypomnienie\nEND\n--\nJan"
    with smtp(listener) as client:
        refused = client.sendmail(SENDER, [f"box@{domain()}"], mail(body))
    assert refused == {}
    message = Message.objects.get()
    progress = services.progress(mail_service.pk, message.pk)
    assert [number for number, _status in progress.recipients.pairs()] == ["48601123456"]
    assert message.text == "Przypomnienie"
    assert message.flash
    local = timezone.localtime(message.send_at)
    assert (local.strftime("%Y-%m-%d"), local.hour, local.minute) == (when, 15, 0)


def test_polish_letters_arrive_intact_over_smtp_in_iso_8859_2(listener, mail_service):
    text = "Zażółć gęślą jaźń"
    raw = mail(
        f"{PASSWORD}\n---\n{text}\nKONIEC", to=f"48601123456@{domain()}", charset="iso-8859-2"
    )
    with smtp(listener) as client:
        client.sendmail(SENDER, [f"48601123456@{domain()}"], raw)
    message = Message.objects.get()
    assert message.text == text and message.encoding == "UCS-2"


def test_an_address_that_is_not_ours_is_refused_at_rcpt_time(listener, mail_service):
    with smtp(listener) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail(SENDER, ["someone@example.com"], mail("x", to="someone@example.com"))
    [(code, _text)] = refused.value.recipients.values()
    assert code == 550
    assert InboundMail.objects.count() == 0


def test_a_mail_over_the_size_limit_is_refused(listener, mail_service, settings):
    settings.SMS2EMAIL_MAX_BYTES = 2000
    raw = mail(f"{PASSWORD}\n601123456\n---\n" + "x" * 5000)
    with (
        smtp(listener) as client,
        pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused,
    ):
        client.sendmail(SENDER, [f"box@{domain()}"], raw)
    assert refused.value.smtp_code == 552
    assert Message.objects.count() == 0


# SQLite's shared in-memory test database locks whole tables, so concurrent
# sessions there get 451 (try again), which is what an SMTP client is told to do.
@pytest.mark.postgres
def test_several_sessions_at_once_are_all_handled(listener, mail_service):
    def send(i):
        with smtp(listener) as client:
            client.sendmail(
                SENDER, [f"box@{domain()}"], mail(f"{PASSWORD}\n60112345{i}\n---\nNr {i}")
            )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert InboundMail.objects.filter(outcome=Outcome.SENT).count() == 6
    assert Message.objects.count() == 6
