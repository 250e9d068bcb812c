"""The simulator's log under the retention limits (messaging.retention): what it was
asked to send keeps its text RETENTION_TEXT_DAYS and its number RETENTION_NUMBER_DAYS
after it reported. Its rows carry no archive marks: an erased text is empty and a
masked number has stars, and neither is met again."""

from django.db.models import Q

from messaging import numbers
from messaging.retention import Run, batches

from .models import SimulatedSms


def archive_old(run: Run) -> dict[str, int]:
    counts = {}
    cutoffs = run.cutoffs
    reported = SimulatedSms.objects.filter(reported=True)
    if cutoffs.texts is not None:
        due = reported.filter(report_at__lt=cutoffs.texts).exclude(text="")
        if run.dry_run:
            counts["simulated SMS texts"] = due.count()
        else:

            def erase(rows) -> int:
                return SimulatedSms.objects.filter(pk__in=[pk for _at, pk in rows]).update(text="")

            counts["simulated SMS texts"] = batches(run, due, "report_at", erase)
    if cutoffs.numbers is not None:
        due = reported.filter(report_at__lt=cutoffs.numbers).filter(~Q(number__contains="*"))
        if run.dry_run:
            counts["simulated SMS numbers"] = due.count()
        else:

            def mask(rows) -> int:
                masked = [SimulatedSms(pk=pk, number=numbers.mask(n)) for _at, pk, n in rows]
                SimulatedSms.objects.bulk_update(masked, ["number"])
                return len(masked)

            counts["simulated SMS numbers"] = batches(run, due, "report_at", mask, "number")
    return counts
