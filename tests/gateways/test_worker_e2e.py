"""End to end with a real django-q2 worker process (``manage.py qcluster``) on PostgreSQL.

The test process accepts sends through the API; the worker, a separate
process on the same test database, dispatches them to the simulator, applies
its reports, and POSTs the delivery reports to a receiver on loopback.
"""

import logging
import time
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django_q.tasks import async_task

from accounts.models import LedgerEntry, LedgerKind
from gateways.models import SimulatedSms
from messaging.models import FINAL_STATUSES, Callback, Message, Recipient, Status
from tests.receiver import Receiver
from tests.workers import kill, start_qcluster, wait_until

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def start_worker():
    """Start ``manage.py qcluster`` on the test database; SIGKILLed with its children after."""
    workers = []

    def start(**env):
        workers.append(start_qcluster(**env))
        return workers[-1]

    yield start
    for process in workers:
        kill(process)


def test_sends_reach_final_states_refunds_and_reports(
    api, api_service, simulator, receiver, start_worker
):
    simulator.settings = {"delay": 0.5}
    simulator.save()
    start_worker()
    failing = ["48600100000", "48600100999", "48600100998"]
    numbers = failing + [f"4860020{n:04d}" for n in range(1, 23)]
    before = api_service.balance
    answer = api(
        "gateway/", to_list=",".join(numbers), message="Hello", notify_url=receiver.url
    ).json()
    assert answer["error"] == "OK"
    message = Message.objects.get(pk=answer["message_id"])

    recipients = Recipient.objects.filter(message=message)
    wait_until(lambda: all(r.status in FINAL_STATUSES for r in recipients.all()))
    assert dict(recipients.filter(number__in=failing).values_list("number", "status")) == {
        "48600100000": Status.REJECTED,
        "48600100999": Status.EXPIRED,
        "48600100998": Status.REMOTE_ERROR,
    }
    assert recipients.filter(status=Status.DELIVERED).count() == 22

    progress = api(f"getProgress/{message.pk}/").json()
    assert (progress["success_count"], progress["failure_count"]) == (22, 3)

    api_service.refresh_from_db()
    assert api_service.balance == before - 22 * message.recipient_price
    refunded = LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.REFUND)
    assert sum(e.amount for e in refunded) == 3 * message.recipient_price

    # Every record reported once, in the seed's format, at most 20 a call.
    wait_until(lambda: sum(b.count(b"status[]=") for b in receiver.bodies) >= 25)
    time.sleep(0.5)
    bodies = [body.decode() for body in receiver.bodies]
    records = [r for body in bodies for r in parse_qs(body)["status[]"]]
    assert all(len(parse_qs(body)["status[]"]) <= 20 for body in bodies)
    assert len(records) == len(set(records)) == 25
    by_instance = {int(r.split(",")[1]): r.split(",") for r in records}
    for recipient in recipients:
        mid, iid, number, status, delivered = by_instance[recipient.pk]
        assert (int(mid), number, status) == (message.pk, recipient.number, recipient.status)
        if status == Status.DELIVERED:
            assert int(delivered) == int(recipient.delivered_at.timestamp())
        else:
            assert delivered == "-1"
    assert not Callback.objects.exclude(state="delivered").exists()


def test_an_immediate_send_does_not_wait_for_the_minute_tick(api, simulator, start_worker):
    start_worker()
    time.sleep(3)  # the worker is up and idle
    accepted = time.monotonic()
    answer = api("gateway/", to_list="48600100123", message="Now").json()
    wait_until(lambda: SimulatedSms.objects.exists(), timeout=20)
    latency = time.monotonic() - accepted
    logger.info("accept → gateway: %.2f s", latency)
    # The simulator, like a real gateway, has the SMS a moment before the worker
    # commits its answer: wait for that commit, not only for the SMS.
    wait_until(
        lambda: Recipient.objects.filter(
            message_id=answer["message_id"], gateway__isnull=False
        ).exists(),
        timeout=20,
    )
    assert Recipient.objects.get(message_id=answer["message_id"]).gateway == simulator


def test_a_worker_killed_mid_dispatch_loses_nothing_and_sends_nothing_twice(
    api_service, simulator, start_worker
):
    from messaging import services

    simulator.settings = {"delay": 0, "send_seconds": 0.3}
    simulator.save()
    api_service.credit_limit = Decimal("1000")
    api_service.save()
    numbers = [f"486003{n:05d}" for n in range(1001, 2501)]  # 1998–2000: failures
    message = services.submit(
        api_service.pk, services.SendRequest(recipients=numbers, text="Kill me")
    ).message

    first = start_worker(DISPATCH_BATCH_SIZE=50, DISPATCH_LEASE_SECONDS=3)
    async_task("gateways.tasks.dispatch")
    wait_until(lambda: SimulatedSms.objects.count() >= 200)
    kill(first)
    sent_before_kill = SimulatedSms.objects.count()
    assert sent_before_kill < len(numbers)

    start_worker(DISPATCH_BATCH_SIZE=50, DISPATCH_LEASE_SECONDS=3, SIMULATOR_DELAY=0)
    time.sleep(3.5)  # the dead worker's claims lapse; the minute tick would do the rest
    async_task("gateways.tasks.dispatch")
    recipients = Recipient.objects.filter(message=message)
    open_statuses = [Status.PENDING, Status.QUEUED]
    wait_until(lambda: not recipients.filter(status__in=open_statuses).exists(), timeout=90)

    sent = SimulatedSms.objects.filter(recipient_id__in=recipients.values("id"))
    assert sent.count() == len(numbers)  # every recipient sent ...
    assert sorted(sent.values_list("number", flat=True)) == numbers  # ... each exactly once
    logger.info(
        "%d sent before the kill; repeated requests deduplicated: %d",
        sent_before_kill,
        sent.filter(requests__gt=1).count(),
    )
