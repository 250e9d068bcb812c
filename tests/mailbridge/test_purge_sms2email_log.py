"""``manage.py purge_sms2email_log`` and the minute task: the log keeps SMS2EMAIL_LOG_DAYS."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from mailbridge import tasks
from mailbridge.models import InboundMail, Outcome, UsedMd5

pytestmark = pytest.mark.django_db


def logged(days_ago, n):
    return InboundMail.objects.create(
        received_at=timezone.now() - timedelta(days=days_ago),
        sender="jan@firma.pl",
        recipient="box@sms2email.localhost",
        mail_id=f"<{n}@firma.pl>",
        outcome=Outcome.DROPPED,
    )


def test_rows_older_than_the_setting_go_and_newer_ones_stay(settings, make_service):
    settings.SMS2EMAIL_LOG_DAYS = 30
    old, kept = logged(31, 1), logged(29, 2)
    service = make_service()
    UsedMd5.objects.create(service=service, digest="a" * 32, expires_at=timezone.now())
    UsedMd5.objects.create(
        service=service, digest="b" * 32, expires_at=timezone.now() + timedelta(minutes=5)
    )
    out = StringIO()
    call_command("purge_sms2email_log", stdout=out)
    assert "Deleted 1 logged mail(s) and 1 expired md5 line(s)." in out.getvalue()
    assert list(InboundMail.objects.values_list("id", flat=True)) == [kept.id]
    assert not InboundMail.objects.filter(id=old.id).exists()
    assert list(UsedMd5.objects.values_list("digest", flat=True)) == ["b" * 32]


def test_the_minute_task_purges_too(settings):
    settings.SMS2EMAIL_LOG_DAYS = 90
    logged(91, 1)
    assert tasks.minute()["purged_mails"] == 1
    assert InboundMail.objects.count() == 0
