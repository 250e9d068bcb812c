"""An import's life, from the upload to its report (``ContactImport``), for the panel's
import pages and the worker.

1. ``upload`` keeps the file's bytes in a new row of the customer's (the database, so the
   web process and a worker on another machine both reach it; looked up by a random key
   and the customer, never by a guessable number).
2. The preview page reads it again (``contacts.importer.preview``); ``start`` records the
   choices and either imports at once (``CONTACT_IMPORT_TASK_ROWS`` rows or fewer) or
   queues ``run_task`` for a django-q2 worker.
3. ``run`` imports in one transaction (``contacts.importer``): all or nothing. A large
   import writes its progress (rows read) after every chunk through a second database
   connection, in autocommit, so the page polling the row sees it while the import's own
   transaction is still open. SQLite takes one writer at a time, so there the page shows
   "importing" without the count until the import ends.
4. The report is stored on the row and the file's bytes are dropped; rows are deleted
   ``CONTACT_IMPORT_KEEP_HOURS`` after their upload (``clean_up``, on every upload, every
   task and hourly by a schedule, so an upload nobody finished goes too).
"""

import io
import logging
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from lib import taskqueue
from messaging import pg

from . import importer
from .models import ContactGroup, ContactImport, ImportState

logger = logging.getLogger(__name__)

TASK = "contacts.imports.run_task"
# A queued import no worker took within this long is queued again (a lost task).
REQUEUE_AFTER = timedelta(minutes=2)
# A running import whose progress stopped this long ago died with its worker (its
# transaction rolled back): the page says so. Longer than the task's timeout.
STALE_AFTER = timedelta(minutes=5)


def for_customer(customer, key) -> ContactImport | None:
    """The customer's import with this key; another customer's is None, like a missing one."""
    # The file's bytes are read only by the steps that need them (the report page polls).
    return ContactImport.objects.filter(customer=customer, key=key).defer("data").first()


def estimate_rows(data: bytes) -> int | None:
    """About how many rows the file holds (its lines, for a CSV; an Excel file's sheet
    size when it states one); None when unknown."""
    if data.startswith(b"PK\x03\x04"):
        try:
            import openpyxl

            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                return book.active.max_row
            finally:
                book.close()
        except Exception:  # read again, and refused in words, by the preview
            return None
    lines = data.count(b"\n")
    return lines + (1 if data and not data.endswith(b"\n") else 0)


def upload(customer, name: str, data: bytes) -> ContactImport:
    clean_up()
    return ContactImport.objects.create(
        customer=customer,
        file_name=name[:255],
        data=data,
        size=len(data),
        rows_estimate=estimate_rows(data),
    )


def preview(job: ContactImport, rows: int = 5) -> importer.Preview:
    return importer.preview(
        io.BytesIO(bytes(job.data)), rows, field_names=field_names(job.customer)
    )


def field_names(customer) -> dict[str, str]:
    fields = getattr(customer, "contact_fields", None)
    return fields.names() if fields is not None else {}


def is_large(job: ContactImport) -> bool:
    """Run by a worker: more rows than CONTACT_IMPORT_TASK_ROWS, or a size unknown."""
    return job.rows_estimate is None or job.rows_estimate > settings.CONTACT_IMPORT_TASK_ROWS


def start(
    job: ContactImport,
    *,
    mapping: list[str],
    header: bool,
    group: ContactGroup | None,
    new_group: str,
    update_existing: bool,
) -> None:
    """Record the preview page's choices, then import now or queue the import. Only an
    import not started yet starts (a form posted twice imports once)."""
    importer.check_mapping(mapping)  # ImportFileError: the form says why
    if group is not None and group.customer_id != job.customer_id:
        raise ValueError("the group belongs to another customer")
    large = is_large(job)
    now = timezone.now()
    taken = ContactImport.objects.filter(pk=job.pk, state=ImportState.UPLOADED).update(
        mapping=mapping,
        header=header,
        group=group,
        new_group=new_group.strip()[:100],
        update_existing=update_existing,
        state=ImportState.QUEUED,
        queued_at=now,
    )
    if not taken:
        return
    if large:
        transaction.on_commit(lambda: taskqueue.enqueue(TASK, job.pk))
    else:
        run(job.pk)
    job.refresh_from_db()


def requeue_if_lost(job: ContactImport) -> None:
    """The page's check: a queued import no worker took is queued again; a running one
    whose worker died is marked failed (its transaction rolled back)."""
    now = timezone.now()
    if job.state == ImportState.QUEUED and job.queued_at and now - job.queued_at > REQUEUE_AFTER:
        ContactImport.objects.filter(pk=job.pk, state=ImportState.QUEUED).update(queued_at=now)
        taskqueue.enqueue(TASK, job.pk)
    elif job.state == ImportState.RUNNING and now - (job.heartbeat_at or now) > STALE_AFTER:
        ContactImport.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(
            state=ImportState.FAILED,
            error=gettext("The import stopped before it ended."),
            data=b"",
            finished_at=now,
        )
        job.refresh_from_db()


def run_task(job_id: int) -> str:
    """The worker's task: import a queued file."""
    clean_up()
    return run(job_id)


def run(job_id: int) -> str:
    """Import the queued ``job_id``, all or nothing; its report (or why it failed) lands on
    its row. A job another worker took, or already ended, is left alone."""
    now = timezone.now()
    taken = ContactImport.objects.filter(pk=job_id, state=ImportState.QUEUED).update(
        state=ImportState.RUNNING, heartbeat_at=now
    )
    if not taken:
        return "not queued"
    job = ContactImport.objects.select_related("customer", "group").get(pk=job_id)
    progress = _Progress(job.pk) if is_large(job) else None
    try:
        with transaction.atomic():
            group = job.group
            if group is None and job.new_group:
                group, _ = ContactGroup.objects.get_or_create(
                    customer=job.customer, name=job.new_group
                )
            report = importer.import_contacts(
                job.customer,
                io.BytesIO(bytes(job.data)),
                job.mapping,
                group=group,
                update_existing=job.update_existing,
                header=job.header,
                progress=progress,
            )
    except importer.ImportFileError as exc:
        _fail(job, str(exc))
        return "failed"
    except Exception:
        logger.exception("contact import %s failed", job.pk)
        _fail(job, gettext("The import failed."))
        return "failed"
    finally:
        if progress is not None:
            progress.close()
    ContactImport.objects.filter(pk=job.pk).update(
        state=ImportState.DONE,
        report=report_data(report),
        rows_done=report.rows,
        data=b"",
        finished_at=timezone.now(),
        group=group,
    )
    return "done"


def _fail(job: ContactImport, why: str) -> None:
    ContactImport.objects.filter(pk=job.pk).update(
        state=ImportState.FAILED, error=why[:500], data=b"", finished_at=timezone.now()
    )


def report_data(report: importer.ImportReport) -> dict:
    """The report as stored: the counts and the problem rows (their reasons by key, worded
    when shown, in the reader's language)."""
    return {
        "rows": report.rows,
        "imported": report.imported,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "duplicates": report.duplicates,
        "invalid": report.invalid,
        "empty": report.empty,
        "problems": [[p.row, p.reason, [list(kv) for kv in p.params]] for p in report.problems],
    }


def problems(job: ContactImport) -> list[importer.Problem]:
    return [
        importer.Problem(row, reason, tuple(tuple(kv) for kv in params))
        for row, reason, params in (job.report or {}).get("problems", [])
    ]


class _Progress:
    """Writes an import's rows read to its row after each chunk, through a connection of
    its own in autocommit (PostgreSQL): seen by the page while the import's transaction
    is open. SQLite has one writer at a time: there it writes nothing."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = connections.create_connection("default") if pg.in_use() else None

    def __call__(self, rows: int) -> None:
        if self.connection is None:
            return
        table = ContactImport._meta.db_table
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET rows_done = %s, heartbeat_at = %s WHERE id = %s",  # noqa: S608
                    [rows, timezone.now(), self.job_id],
                )
        except Exception:  # progress is a courtesy: the import goes on
            logger.warning("could not write the progress of import %s", self.job_id, exc_info=True)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def clean_up() -> int:
    """Delete imports uploaded more than CONTACT_IMPORT_KEEP_HOURS ago (their file and
    report); one running that long is past any timeout."""
    before = timezone.now() - timedelta(hours=settings.CONTACT_IMPORT_KEEP_HOURS)
    deleted, _ = ContactImport.objects.filter(created_at__lt=before).delete()
    return deleted
