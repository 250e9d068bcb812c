"""Quiet hours after acceptance: a send time the dispatcher sets again keeps the window.

At acceptance ``services._prepare`` moves a send due outside the service's window to
the window's next opening (``accounts.quiet_hours``). Later, three things set a
recipient's send time again, and each asks the window here:

- a retry (``transitions.release_claims`` with a retry time: no gateway, gateway
  down) leaves at the retry time, or at the next opening after it;
- recipients held for funds or a block (``transitions.release_held``, after a
  top-up or an unblock) leave at once, or at the next opening;
- a change of the quiet hours (panel, admin: any save of ``QuietHours``) times
  again the waiting recipients of the messages the window had moved
  (``Message.held_from``): to the new window's next opening after the time they
  were due otherwise (now when that is past), or to that time when quiet hours
  were switched off. A time the customer chose inside the window stays.

Express and sender-code SMS ignore the window, as at acceptance. Each step is
set-based: one read of the recipients concerned, then one UPDATE per distinct new
send time (usually one).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from accounts import quiet_hours, sending_window
from accounts.models import QuietHours
from lib import taskqueue

from .choices import Source, Status
from .models import Message, Recipient


def exempt(express: bool, source: str) -> bool:
    """Express (paid to leave at once), sender codes (awaited) and the answer to a STOP or
    START (a reply to the SMS its recipient just sent) ignore the window."""
    return express or source in (Source.CODE, Source.STOP_REPLY)


def moved_by_window(
    rows: Iterable[tuple[int, int, int, bool, str]], moment: datetime
) -> dict[datetime, list[tuple[int, int]]]:
    """Of ``rows`` (key, message id, service id, express, source) due at ``moment``, those
    their service's window moves: by the new send time, their (key, message id)."""
    moved = defaultdict(list)
    for key, message_id, service_id, express, source in rows:
        if exempt(express, source):
            continue
        at = quiet_hours.send_time(service_id, moment)
        if at != moment:
            moved[at].append((key, message_id))
    return moved


def mark_held(message_ids: Iterable[int], moment: datetime) -> None:
    """Record on messages that the window moved them (a change of it times them again)."""
    Message.objects.filter(id__in=set(message_ids)).update(held_from=Coalesce("held_from", moment))


def retry(recipient_ids: Sequence[int], until: datetime, retry_at: datetime) -> None:
    """``transitions.release_claims``'s retry: at ``retry_at`` or the next opening after it."""
    owned = Recipient.objects.filter(
        id__in=list(recipient_ids), status=Status.PENDING, claimed_until=until
    )
    rows = owned.values_list(
        "id", "message_id", "message__service_id", "express", "message__source"
    )
    moved = moved_by_window(rows, retry_at)
    later = {rid for pairs in moved.values() for rid, _mid in pairs}
    owned.exclude(id__in=later).update(claimed_until=None, send_at=retry_at)
    for at, pairs in moved.items():
        owned.filter(id__in=[rid for rid, _mid in pairs]).update(claimed_until=None, send_at=at)
        mark_held((mid for _rid, mid in pairs), retry_at)


def release(ready: dict[int, tuple[int, bool, str]], now: datetime) -> int:
    """``transitions.release_held``: ON_HOLD → PENDING for the ``ready`` messages (id →
    service id, express, source), at once or, outside their window, at its next opening."""
    rows = ((mid, mid, sid, express, source) for mid, (sid, express, source) in ready.items())
    moved = moved_by_window(rows, now)
    later = {mid for pairs in moved.values() for mid, _same in pairs}
    held = Recipient.objects.filter(status=Status.ON_HOLD)
    fields = {"status": Status.PENDING, "status_at": now, "claimed_until": None}
    count = held.filter(message_id__in=[m for m in ready if m not in later]).update(**fields)
    for at, pairs in moved.items():
        ids = [mid for mid, _same in pairs]
        count += held.filter(message_id__in=ids).update(send_at=at, **fields)
        mark_held(ids, now)
    return count


def retime(
    service_id: int, window: sending_window.Window | None, now=None, kick: str | None = None
) -> int:
    """After a change of the service's quiet hours (``window``: the new one, None when
    off): each waiting recipient of a message the window had moved leaves at the new
    window's next opening after the time it was due otherwise, or at that time (now,
    if past). Returns the recipients timed again; ``kick``, the dispatch task, is queued
    when some are due now."""
    now = now or timezone.now()
    waiting = Recipient.objects.filter(
        status=Status.PENDING,
        claimed_until__isnull=True,
        message__service_id=service_id,
        message__held_from__isnull=False,
    )
    targets = defaultdict(list)
    for message_id, held_from in (
        waiting.order_by().values_list("message_id", "message__held_from").distinct()
    ):
        due = max(held_from, now)
        at = due if window is None else sending_window.next_opening(window, due)
        targets[at].append(message_id)
    count = 0
    for at, message_ids in targets.items():
        count += waiting.filter(message_id__in=message_ids).exclude(send_at=at).update(send_at=at)
        # The message's own time, as the panel and status.php show it, if not yet due.
        Message.objects.filter(id__in=message_ids, send_at__gt=now).update(send_at=at)
    if count and any(at <= now for at in targets) and kick is not None:
        taskqueue.kick_after_commit(kick)
    return count


def _window(instance: QuietHours | None) -> sending_window.Window | None:
    if instance is None or not instance.enabled:
        return None
    window = instance.window()
    return None if window.never_opens else window


def connect(dispatch_task: str) -> None:
    """Called from MessagingConfig.ready with services.DISPATCH_TASK (services imports
    transitions, which imports this module)."""

    def saved(sender, instance: QuietHours, **kwargs) -> None:
        retime(instance.service_id, _window(instance), kick=dispatch_task)

    def deleted(sender, instance: QuietHours, **kwargs) -> None:
        retime(instance.service_id, None, kick=dispatch_task)

    post_save.connect(saved, sender=QuietHours, weak=False, dispatch_uid="windowed-saved")
    post_delete.connect(deleted, sender=QuietHours, weak=False, dispatch_uid="windowed-deleted")
