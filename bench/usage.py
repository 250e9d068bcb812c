"""U1: the panel's usage charts (``messaging.usage.daily``) on a service with a million
recipients over 30 days. Goal: at most 100 ms a page."""

import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from accounts.models import Service, ServiceKind, ServiceState
from messaging import pg, usage
from messaging.models import Message, Source, UsageDay

DAYS = 30


def run(command, recipients: int = 1_000_000, rounds: int = 10) -> None:
    service = _service(command)
    if not Message.objects.filter(service=service).exists():
        started = time.perf_counter()
        _fill(service, recipients)
        seconds = time.perf_counter() - started
        command.out(f"U1 set-up: {recipients} recipients in {seconds:.0f} s\n")
    with connection.cursor() as cursor:
        # As autovacuum leaves a table after a bulk load: visible, with statistics.
        cursor.execute("VACUUM (ANALYZE) messaging_recipient")
        cursor.execute("VACUUM (ANALYZE) messaging_message")
    UsageDay.objects.filter(service=service).delete()
    started = time.perf_counter()
    usage.daily(service.pk)
    cold = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        days = usage.daily(service.pk)
        times.append((time.perf_counter() - started) * 1000)
    total = sum(d.sent for d in days)
    live = sum(d.sent for d in days[-usage.LIVE_DAYS :])
    command.out(
        f"U1 usage charts, {total} recipients in {DAYS} days ({live} in the live days): "
        f"kept days counted {cold:.0f} ms once; then min {min(times):.0f} ms, "
        f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms (goal ≤ 100 ms)\n"
    )
    UsageDay.objects.filter(service=service).delete()
    started = time.perf_counter()
    usage.refresh()
    command.out(
        f"U1 refresh of every closed day: {(time.perf_counter() - started) * 1000:.0f} ms\n"
    )


def _service(command) -> Service:
    service, _ = Service.objects.get_or_create(
        customer=command.service.customer,
        name="Benchmark usage",
        defaults={"kind": ServiceKind.ONE_WAY, "state": ServiceState.ACTIVE},
    )
    return service


def _fill(service: Service, recipients: int) -> None:
    """Ten messages a day for 30 days; a third delivered, a tenth rejected."""
    per_message = recipients // (DAYS * 10)
    now = timezone.now()
    numbers = [f"48600{n:06d}" for n in range(per_message)]
    for day in range(DAYS):
        for n in range(10):
            created = now - timedelta(days=day, minutes=n)
            message = Message.objects.create(
                service=service,
                source=Source.API,
                text="usage bench",
                encoding="GSM-7",
                parts=1,
                route="standard",
                send_at=created,
                recipient_count=per_message,
                recipient_price=Decimal("0.07"),
                price=Decimal("0.07") * per_message,
                created_at=created,
            )
            pg.copy_recipients(message, numbers)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE messaging_recipient r SET status = CASE WHEN r.id %% 10 = 0 THEN 'REJECTED'"
            " WHEN r.id %% 3 = 0 THEN 'DELIVERED' ELSE 'QUEUED' END"
            " FROM messaging_message m WHERE m.id = r.message_id AND m.service_id = %s",
            [service.pk],
        )
