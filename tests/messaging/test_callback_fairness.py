"""One customer's callbacks cannot stall another's; retries keep their interval.

The receivers are real servers on loopback: one that answers, one that
accepts connections and never answers (``Silent``).
"""

import logging
import socket
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from lib import outbound
from messaging import callbacks, services
from messaging.models import Callback, CallbackAttempt, CallbackHost
from tests.receiver import Receiver

logger = logging.getLogger(__name__)


class Silent:
    """A TCP server that takes connections and never says a word."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)  # never accepted: the kernel completes the handshakes
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/never"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


@pytest.fixture
def allow_private(settings):
    settings.CALLBACK_ALLOW_PRIVATE = True


def incoming(service, count=1, text="Hej"):
    for n in range(count):
        services.store_incoming(service.pk, f"4860010{n:04d}", "48500000000", text, None)


def with_callback_url(service, url):
    service.callback_url = url
    service.save()
    return service


def test_fair_order_takes_every_services_oldest_first():
    now = timezone.now()

    def cb(pk, service, seconds):
        return Callback(id=pk, service_id=service, next_attempt_at=now + timedelta(seconds=seconds))

    flood = [cb(n, 1, n) for n in range(1, 6)]
    late = [cb(10, 2, 100), cb(11, 3, 50)]
    order = [c.pk for c in callbacks.fair_order(flood + late)]
    assert order == [1, 11, 10, 2, 3, 4, 5]


def test_a_claim_is_round_robin_across_services(make_service, allow_private):
    flood = with_callback_url(make_service(), "https://a.example/in")
    other = with_callback_url(make_service(), "https://b.example/in")
    incoming(flood, 5)
    incoming(other, 1)  # newer than all of the flood's
    claimed = callbacks.claim_due(3)
    assert [c.service_id for c in claimed] == [flood.pk, other.pk, flood.pk]
    assert {c.host for c in claimed} == {"a.example:443", "b.example:443"}


def test_a_host_that_keeps_failing_is_backed_off_and_its_callbacks_wait(
    make_service, allow_private, settings, monkeypatch
):
    settings.CALLBACK_RETRY_INTERVAL = 300
    settings.CALLBACK_HOST_CONCURRENCY = 2
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.5)
    with Silent() as silent, Receiver() as good:
        dead = with_callback_url(make_service(), silent.url)
        alive = with_callback_url(make_service(), good.url)
        incoming(dead, 6)
        incoming(alive, 1)
        assert callbacks.deliver_due() == 3  # two probes of the dead host, the live one
    attempts = CallbackAttempt.objects.filter(callback__service=dead)
    assert attempts.count() == 2  # not six: two failures back the host off
    host = CallbackHost.objects.get()
    assert host.host == callbacks.callback_host(silent.url) and host.failures == 2
    assert host.blocked_until > timezone.now() + timedelta(seconds=250)
    assert Callback.objects.filter(claimed_until__isnull=False).count() == 0  # given back
    assert len(good.requests) == 1
    # Backed off: its callbacks are not claimed, even those due now.
    assert callbacks.claim_due(10) == []
    assert callbacks.next_due_at() == host.blocked_until
    out = StringIO()
    call_command("stuck_work", stdout=out)
    assert f"callback host {host.host} backed off until" in out.getvalue()


def test_a_burst_of_failures_in_flight_backs_a_host_off_once_not_for_the_maximum(
    make_service, allow_private, settings, monkeypatch
):
    settings.CALLBACK_RETRY_INTERVAL = 300
    settings.CALLBACK_HOST_CONCURRENCY = 6
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.5)
    with Silent() as silent:
        incoming(with_callback_url(make_service(), silent.url), 6)
        assert callbacks.deliver_due() == 6  # all six were in flight together
    host = CallbackHost.objects.get()
    assert host.failures == 2
    assert host.blocked_until < timezone.now() + timedelta(seconds=301)


def test_an_answer_another_worker_saw_clears_the_host_at_the_next_claim(
    make_service, allow_private
):
    with Receiver() as receiver:
        service = with_callback_url(make_service(), receiver.url)
        incoming(service, 2)
        first = callbacks.claim_due(1)
        # Meanwhile another worker counted a failure for the same host.
        CallbackHost.objects.create(host=callbacks.callback_host(receiver.url), failures=1)
        delivery = callbacks._Delivery(budget=5, linger=0)
        delivery.waiting = [(time.monotonic(), first[0])]
        delivery._loop()
    assert len(receiver.requests) == 2
    assert not CallbackHost.objects.exists()


def test_any_answer_clears_a_hosts_failures(make_service, allow_private):
    with Receiver(answers=["ERROR"]) as receiver:
        service = with_callback_url(make_service(), receiver.url)
        CallbackHost.objects.create(host=callbacks.callback_host(receiver.url), failures=1)
        incoming(service)
        assert callbacks.deliver_due() == 1
    assert not CallbackHost.objects.exists()


def test_retries_due_soon_are_made_at_their_interval(make_service, allow_private, settings):
    settings.CALLBACK_RETRY_INTERVAL = 1
    with Receiver(answers=["ERROR"]) as receiver:
        incoming(with_callback_url(make_service(), receiver.url))
        started = time.monotonic()
        callbacks.deliver(budget=10, linger=5)
        elapsed = time.monotonic() - started
    logger.info("%d attempts in %.1f s", len(receiver.requests), elapsed)
    assert len(receiver.requests) >= 3
    gaps = [
        (b.at - a.at).total_seconds()
        for a, b in zip(
            CallbackAttempt.objects.order_by("at"),
            CallbackAttempt.objects.order_by("at")[1:],
            strict=False,
        )
    ]
    assert all(gap >= 1 for gap in gaps)


def test_a_retry_beyond_the_linger_wakes_a_worker_through_the_scheduler(
    make_service, allow_private, settings
):
    settings.CALLBACK_RETRY_INTERVAL = 120
    with Receiver(answers=["ERROR"]) as receiver:
        incoming(with_callback_url(make_service(), receiver.url))
        callbacks.deliver(budget=10, linger=1)
    retry_at = Callback.objects.get().next_attempt_at
    schedule = Schedule.objects.get(name=callbacks.WAKE_SCHEDULE)
    assert schedule.next_run == retry_at
    assert schedule.func == "messaging.tasks.deliver_callbacks"
    assert schedule.schedule_type == Schedule.ONCE


def test_dns_lookup_counts_inside_the_total_timeout(monkeypatch):
    def slow_resolver(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("too late")

    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.5)
    monkeypatch.setattr(socket, "getaddrinfo", slow_resolver)
    started = time.monotonic()
    with pytest.raises(outbound.DeliveryFailed) as failed:
        outbound.post_form("https://slow-resolver.example/cb", b"x=1")
    assert time.monotonic() - started < 2
    assert "timed out" in failed.value.reason and not failed.value.final


def test_a_stopping_worker_gives_back_what_it_has_not_started_and_leaves_a_hung_post(
    make_service, allow_private, settings, monkeypatch
):
    from lib import shutdown

    settings.CALLBACK_HOST_CONCURRENCY = 1
    monkeypatch.setattr(shutdown, "_requested", False)
    with Silent() as silent:
        incoming(with_callback_url(make_service(), silent.url), 3)
        threading.Timer(0.5, shutdown.request).start()
        started = time.monotonic()
        callbacks.deliver(budget=30, linger=5)
        elapsed = time.monotonic() - started
    assert elapsed < 4  # not the POST's 20 s timeout
    claimed = Callback.objects.filter(claimed_until__isnull=False)
    assert claimed.count() == 1  # the hung one keeps its claim and is tried after it lapses
    assert not CallbackAttempt.objects.exists()
