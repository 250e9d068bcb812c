"""The bridge's mail under the retention limits (``mailbridge.log.archive_old``, run by
``manage.py anonymise_old_data`` and its hourly task): a logged or sent mail holds texts
and numbers together, so it goes at the earlier limit; a mail still being sent stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from mailbridge.models import (
    InboundMail,
    OutboundKind,
    OutboundMail,
    Outcome,
    ReplyState,
    ReportLine,
)
from messaging import retention

pytestmark = pytest.mark.django_db


def ago(days):
    return timezone.now() - timedelta(days=days)


def logged(days, n, **fields):
    return InboundMail.objects.create(
        received_at=ago(days),
        sender="jan@firma.pl",
        recipient="48600100123@sms2email.localhost",  # easy mode: a number
        subject="Kod dla Jana",
        mail_id=f"<{n}@firma.pl>",
        outcome=Outcome.SENT,
        **fields,
    )


def mailed(service, days, **fields):
    return OutboundMail.objects.create(
        service=service,
        kind=OutboundKind.INCOMING_SMS,
        from_address="48600100123@sms2email.localhost",
        to="jan@firma.pl",
        subject="SMS od 48600100123",
        body="Tak, biorę",
        created_at=ago(days),
        **{"state": ReplyState.SENT, **fields},
    )


def test_mail_goes_at_the_earlier_of_the_two_limits(settings, service):
    settings.SMS2EMAIL_LOG_DAYS = 1000  # the log's own limit is not what removes them
    settings.RETENTION_TEXT_DAYS, settings.RETENTION_NUMBER_DAYS = 400, 60
    old_in, young_in = logged(61, 1), logged(59, 2)
    old_out, young_out = mailed(service, 61), mailed(service, 59)

    counts = retention.run()

    assert counts["Sms2Email log mail"] == 1 and counts["Sms2Email sent mail"] == 1
    assert list(InboundMail.objects.values_list("pk", flat=True)) == [young_in.pk]
    assert list(OutboundMail.objects.values_list("pk", flat=True)) == [young_out.pk]
    assert old_in.pk != young_in.pk and old_out.pk != young_out.pk


def test_mail_still_being_sent_or_answered_stays(service):
    waiting_reply = logged(400, 1, reply_state=ReplyState.PENDING)
    waiting_mail = mailed(service, 400, state=ReplyState.PENDING)

    retention.run()

    assert InboundMail.objects.filter(pk=waiting_reply.pk).exists()
    assert OutboundMail.objects.filter(pk=waiting_mail.pk).exists()


def test_a_report_line_not_mailed_goes_at_the_numbers_limit(settings):
    settings.RETENTION_TEXT_DAYS = 0
    mail = logged(10, 1)
    old = ReportLine.objects.create(
        inbound=mail, recipient_id=1, number="48600100123", status="DELIVERED", at=ago(366)
    )
    young = ReportLine.objects.create(
        inbound=mail, recipient_id=2, number="48600100124", status="DELIVERED", at=ago(364)
    )

    retention.run()

    assert list(ReportLine.objects.values_list("pk", flat=True)) == [young.pk]
    assert old.pk != young.pk


def test_keeping_both_for_ever_keeps_the_mail(settings, service):
    settings.RETENTION_TEXT_DAYS = settings.RETENTION_NUMBER_DAYS = 0
    logged(5000, 1)
    mailed(service, 5000)

    retention.run()

    assert InboundMail.objects.count() == 1 and OutboundMail.objects.count() == 1


def test_the_command_counts_mail_in_a_dry_run(service):
    logged(400, 1)
    mailed(service, 400)

    out = StringIO()
    call_command("anonymise_old_data", "--dry-run", stdout=out)

    assert "Sms2Email log mail: 1 due" in out.getvalue()
    assert "Sms2Email sent mail: 1 due" in out.getvalue()
    assert InboundMail.objects.count() == 1 and OutboundMail.objects.count() == 1
