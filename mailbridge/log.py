"""The Sms2Email log's upkeep: mail is kept SMS2EMAIL_LOG_DAYS, used md5 lines until
they could no longer pass the time check."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import InboundMail, UsedMd5

BATCH = 10_000  # rows deleted per statement, so a large backlog never holds long locks


def purge(now=None) -> tuple[int, int]:
    """Delete log rows past their keeping time and expired md5 lines; returns both counts."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SMS2EMAIL_LOG_DAYS)
    mails = _in_batches(InboundMail.objects.filter(received_at__lt=cutoff))
    md5s = _in_batches(UsedMd5.objects.filter(expires_at__lt=now))
    return mails, md5s


def _in_batches(rows) -> int:
    total = 0
    while True:
        ids = list(rows.values_list("id", flat=True)[:BATCH])
        if not ids:
            return total
        total += rows.model.objects.filter(id__in=ids).delete()[0]
