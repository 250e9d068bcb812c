"""Callbacks through a real django-q2 worker (``manage.py qcluster``) on PostgreSQL."""

import logging
import time

import pytest
from django_q.tasks import async_task

from messaging.models import CallbackAttempt
from tests.gateways import test_worker_e2e
from tests.messaging.test_callback_fairness import Silent, incoming, with_callback_url
from tests.receiver import Receiver
from tests.workers import wait_until

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

start_worker = test_worker_e2e.start_worker  # the fixture: a real qcluster on the test database


def test_retries_keep_a_one_second_interval_in_the_worker(make_service, start_worker):
    with Receiver(answers=["ERROR"]) as receiver:
        service = with_callback_url(make_service(), receiver.url)
        start_worker(CALLBACK_RETRY_INTERVAL=1, Q_WORKERS=1)
        time.sleep(2)  # up and idle
        started = time.monotonic()
        incoming(service)
        wait_until(lambda: len(receiver.requests) >= 3, timeout=10)
        logger.info("3 attempts in %.1f s", time.monotonic() - started)


def test_one_services_flood_to_a_dead_receiver_does_not_delay_anothers_callback(
    make_service, start_worker
):
    with Silent() as dead, Receiver() as alive:
        flood = with_callback_url(make_service(), dead.url)
        other = with_callback_url(make_service(), alive.url)
        start_worker(Q_WORKERS=1)  # one worker: it has to be fair by itself
        incoming(flood, 300)
        wait_until(lambda: CallbackAttempt.objects.exists() or _in_flight(flood), timeout=15)
        time.sleep(1)  # the worker is busy with the flood
        created = time.monotonic()
        incoming(other)
        wait_until(lambda: len(alive.requests) == 1, timeout=5)
        took = time.monotonic() - created
        logger.info("the other service's callback attempted %.2f s after", took)
        async_task("messaging.tasks.deliver_callbacks")  # more workers on it change nothing


def _in_flight(service):
    return service.callbacks.filter(claimed_until__isnull=False).exists()
