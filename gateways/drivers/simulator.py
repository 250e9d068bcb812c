"""The simulator: accepts everything, reports by the number's last three digits (SPEC §7).

``000`` REJECTED, ``999`` EXPIRED, ``998`` REMOTE_ERROR, anything else DELIVERED,
``SIMULATOR_DELAY`` seconds after the send. What it "sent" is kept in
SimulatedSms, one row per recipient: a repeated send of the same recipient
only counts the request.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from messaging.models import Status
from messaging.transitions import Report, apply_reports

from .. import pg
from ..models import SimulatedSms
from .base import Driver, Outcome, Outgoing

OUTCOME_BY_SUFFIX = {
    "000": Status.REJECTED,
    "999": Status.EXPIRED,
    "998": Status.REMOTE_ERROR,
}

_INSERT = """
INSERT INTO gateways_simulatedsms
    (gateway_id, recipient_id, number, text, sender, sent_at, report_at, reported, requests)
VALUES (%s, %s, %s, %s, %s, %s, %s, false, 1)
ON CONFLICT (recipient_id) DO UPDATE SET requests = gateways_simulatedsms.requests + 1
"""


def outcome_for(number: str) -> str:
    return OUTCOME_BY_SUFFIX.get(number[-3:], Status.DELIVERED)


class SimulatorDriver(Driver):
    @property
    def delay(self) -> float:
        return float(self.settings.get("delay", settings.SIMULATOR_DELAY))

    @property
    def poll_after(self) -> float:
        return self.delay

    def send(self, batch: list[Outgoing]) -> list[Outcome]:
        now = timezone.now()
        report_at = now + timedelta(seconds=self.delay)
        if pg.in_use():
            pg.simulator_record_sent(self.gateway.pk, batch, now, report_at)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(
                    _INSERT,
                    [
                        (
                            self.gateway.pk,
                            o.recipient_id,
                            o.number,
                            o.text,
                            o.sender,
                            now,
                            report_at,
                        )
                        for o in batch
                    ],
                )
        # "send_seconds" plays a slow upstream whose answer is still on its way
        # after it accepted (tests kill a worker in that moment).
        time.sleep(float(self.settings.get("send_seconds", 0)))
        return [Outcome(o.recipient_id, Status.QUEUED) for o in batch]

    def poll(self, sent: list[int] | None = None, limit: int = 2000) -> int:
        """Report every simulated SMS whose time has come, exactly once.

        ``sent``: the instance ids just sent, when the dispatcher polls right
        after sending (delay 0); only those are looked at.
        """
        changed = 0
        while True:
            with transaction.atomic():
                due = self._take_due(sent, limit)
                if not due:
                    return changed
                reports = [Report(rid, outcome_for(number), at) for rid, number, at in due]
                changed += len(apply_reports(reports))
            if sent is not None and len(due) < limit:
                return changed

    def _take_due(self, sent: list[int] | None, limit: int) -> list[tuple]:
        """Mark a batch of due rows reported and return (instance id, number, report time).

        In the caller's transaction, with the reports applied: both happen or neither.
        """
        now = timezone.now()
        if pg.in_use():
            return pg.simulator_take_due(self.gateway.pk, sent, limit, now)
        rows = SimulatedSms.objects.filter(gateway=self.gateway, reported=False, report_at__lte=now)
        if sent is not None:
            rows = rows.filter(recipient_id__in=sent)
        due = list(
            rows.order_by("report_at", "id").values_list(
                "id", "recipient_id", "number", "report_at"
            )[:limit]
        )
        SimulatedSms.objects.filter(id__in=[row[0] for row in due]).update(reported=True)
        return [row[1:] for row in due]
