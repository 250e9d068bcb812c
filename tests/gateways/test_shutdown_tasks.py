"""The dispatcher and the tick asked to stop (lib.shutdown), called directly."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from gateways import dispatch, tasks
from gateways.models import SimulatedSms
from lib import shutdown, taskqueue
from messaging import services
from messaging.models import Recipient, Status


@pytest.fixture(autouse=True)
def _not_stopping(monkeypatch):
    monkeypatch.setattr(shutdown, "_requested", False)


@pytest.fixture
def queued(monkeypatch):
    """The tasks queued, instead of queueing them."""
    calls = []
    monkeypatch.setattr(dispatch, "enqueue", lambda func, *args, **kwargs: calls.append(func))
    # The hand-over is queued by the loop's body (lib.taskqueue.drain).
    monkeypatch.setattr(taskqueue, "enqueue", lambda func, *args, **kwargs: calls.append(func))
    return calls


def submit(service, numbers, **fields):
    request = services.SendRequest(recipients=numbers, text="Test", **fields)
    return services.submit(service.pk, request).message


def test_dispatch_stops_between_batches_holding_no_claim_and_hands_over(
    api_service, simulator, settings, monkeypatch, queued
):
    settings.DISPATCH_BATCH_SIZE = 2
    message = submit(api_service, [f"4860010012{n}" for n in range(6)])
    one_batch = dispatch.dispatch_batch

    def then_stop(*args, **kwargs):
        count = one_batch(*args, **kwargs)
        shutdown.request()  # arrives while the batch is being sent
        return count

    monkeypatch.setattr(dispatch, "dispatch_batch", then_stop)
    assert dispatch.run() == 2
    assert SimulatedSms.objects.count() == 2  # the batch it held went out
    rest = Recipient.objects.filter(message=message, status=Status.PENDING)
    assert rest.count() == 4
    assert not rest.filter(claimed_until__isnull=False).exists()
    # A helper after the full batch (a bulk send: another worker may join), then the
    # hand-over for the next worker.
    assert queued == ["gateways.tasks.dispatch", "gateways.tasks.dispatch"]


def test_a_tick_stops_waiting_for_a_scheduled_send(api_service, simulator):
    message = submit(api_service, ["48600100123"], send_at=timezone.now() + timedelta(seconds=30))
    threading.Timer(0.5, shutdown.request).start()
    started = time.monotonic()
    tasks.tick()
    assert time.monotonic() - started < 2
    recipient = Recipient.objects.get(message=message)
    assert (recipient.status, recipient.claimed_until) == (Status.PENDING, None)


def test_a_stopping_tick_leaves_its_steps_to_the_next(api_service, simulator):
    message = submit(api_service, ["48600100123"])
    shutdown.request()
    assert set(tasks.tick().values()) == {0}
    assert Recipient.objects.get(message=message).status == Status.PENDING


def test_a_poll_due_later_is_left_to_the_tick_when_stopping(simulator):
    shutdown.request()
    started = time.monotonic()
    assert tasks.poll(simulator.pk, not_before=time.time() + 4) == 0
    assert time.monotonic() - started < 0.5
