"""A service's quiet hours as the send pipeline reads them, and changing them.

``send_time`` is asked on every send (``messaging.services._prepare``), so the
window is not read from the database each time: each process keeps every
service's window it read for ``QUIET_HOURS_CACHE_SECONDS`` (a single API send
stays one statement, tests/test_query_counts.py). A change drops it at once in
the process that made it; the others see it when their copy expires.
"""

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from lib.localcache import local_cache

from . import audit, sending_window
from .models import WEEKDAYS, AuditAction, QuietHours, Service

_local = local_cache(settings.QUIET_HOURS_CACHE_SECONDS)
_OFF = "-"  # cached "no quiet hours"

FIELDS = ("enabled", *(f"{day}_{end}" for day in WEEKDAYS for end in ("from", "until")))


def _key(service_id: int) -> str:
    return f"quiet-hours:{service_id}"


def window_of(service_id: int) -> sending_window.Window | None:
    """The service's window while its quiet hours are on, else None."""
    found, cached = _local.get(_key(service_id))
    if found:
        return None if cached == _OFF else cached
    row = QuietHours.objects.filter(service_id=service_id, enabled=True).first()
    window = row.window() if row is not None else None
    if window is not None and window.never_opens:
        window = None  # refused by ``QuietHours.clean``; a row written around it sends
    _local.set(_key(service_id), window or _OFF)
    return window


def send_time(service_id: int, moment: datetime) -> datetime:
    """When a send due at ``moment`` may leave: ``moment``, or the next opening of
    the service's window when its quiet hours are on and ``moment`` is outside."""
    window = window_of(service_id)
    if window is None:
        return moment
    return sending_window.next_opening(window, moment)


def settings_of(service: Service) -> QuietHours:
    """The service's quiet hours, unsaved (off, no hours) when it never had any."""
    return QuietHours.objects.filter(service=service).first() or QuietHours(service=service)


def save(quiet_hours: QuietHours, before: dict) -> dict:
    """Store ``quiet_hours`` (cleaned) and record what changed since ``before`` (a
    ``snapshot``) in the audit log, in one transaction. Returns the changes."""
    changes = audit.diff(before, snapshot(quiet_hours))
    if not changes:
        return changes
    with transaction.atomic():
        quiet_hours.save()
        audit.record(
            AuditAction.SERVICE_CHANGED,
            service=quiet_hours.service,
            obj=quiet_hours,
            changes=changes,
        )
    return changes


def snapshot(quiet_hours: QuietHours) -> dict:
    return audit.snapshot(quiet_hours, FIELDS)


def forget(service_id: int) -> None:
    _local.delete(_key(service_id))
    if connection.in_atomic_block:
        # Another request of this process may read the old row until the change commits.
        transaction.on_commit(lambda: _local.delete(_key(service_id)))


@receiver(post_save, sender=QuietHours)
@receiver(post_delete, sender=QuietHours)
def _changed(sender, instance, **kwargs):
    forget(instance.service_id)
