import time
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.conf import settings

from mailbridge.models import Sms2EmailSettings
from mailbridge.senders import set_authorised

PASSWORD = "motylek123"  # seed 000 §4.1.4
SENDER = "jan@firma.pl"


@pytest.fixture
def mail_service(make_service):
    """An active service with Sms2Email on, jan@firma.pl authorised, password motylek123."""
    service = make_service(balance=Decimal("50.00"))
    sms2email = Sms2EmailSettings(service=service, enabled=True)
    from lib import sealed

    sms2email.password_sealed = sealed.seal(PASSWORD)
    sms2email.save()
    set_authorised(sms2email, SENDER)
    return service


def confirm_recipients(service, *addresses):
    """Odbiorcy SMS-ów przychodz. set to ``addresses``, each one confirmed by its link
    (tests/mailbridge/test_recipients.py goes through the link itself)."""
    from django.utils import timezone

    from mailbridge.models import RecipientAddress

    row = service.sms2email
    row.incoming_recipients = ", ".join(addresses)
    row.save()
    RecipientAddress.objects.filter(settings=row).delete()
    for address in addresses:
        RecipientAddress.objects.create(settings=row, address=address, confirmed_at=timezone.now())
    return row


@pytest.fixture
def listener():
    """A real SMTP listener (mailbridge.smtp) on a free loopback port, in this process."""
    from mailbridge.smtp import Running

    with Running() as running:
        yield running


def smtp(listener):
    import smtplib

    return smtplib.SMTP("127.0.0.1", listener.port, timeout=10)


def domain():
    return settings.SMS2EMAIL_DOMAIN


def mail(body, *, to=None, sender=SENDER, subject="Zamówienie", headers=None, charset="utf-8"):
    """A plain text mail as a mail client would write it; returns its bytes."""
    message = EmailMessage()
    message["From"] = f"Jan Kowalski <{sender}>"
    message["To"] = to or f"box@{domain()}"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="firma.pl")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, charset=charset)
    return message.as_bytes()


def md5_line(password=PASSWORD, timestamp=None):
    from mailbridge.parse import md5_digest

    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"md5 {timestamp} {md5_digest(password, timestamp)}"
