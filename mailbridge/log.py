"""The Sms2Email log's upkeep: mail is kept SMS2EMAIL_LOG_DAYS, used md5 lines until
they could no longer pass the time check; and, under the retention limits
(messaging.retention), no mail is kept past them."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging.retention import Run, batches

from .models import InboundMail, OutboundMail, ReplyState, ReportLine, UsedMd5

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


def archive_old(run: Run) -> dict[str, int]:
    """Retention's pass over the bridge's mail (messaging.retention): a logged or sent
    mail holds texts (the SMS, a subject), numbers (an easy-mode address, a report's
    lines) and addresses together, so it is deleted once the earlier of the two limits
    passes; a report line not yet mailed, at the numbers' limit. A reply or mail still
    being sent waits until it is done."""
    cutoffs = run.cutoffs
    stores = []
    if cutoffs.either is not None:
        stores += [
            (
                "Sms2Email log mail",
                InboundMail.objects.filter(received_at__lt=cutoffs.either).exclude(
                    reply_state=ReplyState.PENDING
                ),
                "received_at",
            ),
            (
                "Sms2Email sent mail",
                OutboundMail.objects.filter(created_at__lt=cutoffs.either).exclude(
                    state=ReplyState.PENDING
                ),
                "created_at",
            ),
        ]
    if cutoffs.numbers is not None:
        stores.append(
            ("Sms2Email report lines", ReportLine.objects.filter(at__lt=cutoffs.numbers), "at")
        )
    counts = {}
    for label, due, moment in stores:
        if run.dry_run:
            counts[label] = due.count()
            continue

        def delete(rows, model=due.model) -> int:
            return (
                model.objects.filter(pk__in=[pk for _at, pk in rows])
                .delete()[1]
                .get(model._meta.label, 0)
            )

        counts[label] = batches(run, due, moment, delete)
    return counts
