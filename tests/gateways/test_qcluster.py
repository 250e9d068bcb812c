"""``manage.py qcluster`` stopped for a deploy (SIGTERM): out within seconds, work given back.

systemd (KillMode=control-group) sends SIGTERM to every process of the
worker at once; docker and `rundemo` send it to the main process only. Both
are tried against a real ``manage.py qcluster`` on the test database.
"""

import logging
import os
import signal
import subprocess
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.tasks import async_task

from gateways.models import SimulatedSms
from messaging import services
from messaging.models import FINAL_STATUSES, Recipient, Status
from tests.workers import descendants, kill, start_qcluster, title, wait_until

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# systemd and container runtimes kill after 10 s.
EXIT_LIMIT = 10.0
# How long a test waits for an exit before it calls the stop hung.
EXIT_CAP = 15.0


@pytest.fixture
def start_cluster():
    """Start ``manage.py qcluster`` in its own process group; returns it once it takes tasks."""
    clusters = []

    def start(**env):
        process = start_qcluster(**env)
        clusters.append(process)
        probe = async_task("math.floor", 1.5)
        wait_until(lambda: Task.objects.filter(id=probe).exists(), timeout=30)
        return process

    yield start
    for process in clusters:
        kill(process)


def stop(process, whom: str) -> float:
    """SIGTERM the cluster's process group or its main process; seconds until it exited."""
    signalled = time.monotonic()
    if whom == "group":
        os.killpg(process.pid, signal.SIGTERM)
    else:
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=EXIT_CAP)
    except subprocess.TimeoutExpired:
        return float("inf")
    return time.monotonic() - signalled


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("whom", ["group", "main"])
def test_an_idle_worker_exits_at_once(whom, start_cluster):
    process = start_cluster()
    took = stop(process, whom)
    logger.info("idle, SIGTERM to the %s: exited after %.2f s", whom, took)
    assert took < EXIT_LIMIT
    wait_until(lambda: group_gone(process.pid), timeout=5)  # no worker left behind


@pytest.mark.parametrize("whom", ["group", "main"])
def test_a_tick_waiting_for_a_scheduled_send_stops_waiting(
    whom, api_service, simulator, start_cluster
):
    later = timezone.now() + timedelta(seconds=45)
    request = services.SendRequest(recipients=["48600100123"], text="Later", send_at=later)
    message = services.submit(api_service.pk, request).message
    process = start_cluster()
    async_task("gateways.tasks.tick")
    time.sleep(3)  # past its catch-up work, waiting for the send's second

    took = stop(process, whom)
    logger.info("tick waiting, SIGTERM to the %s: exited after %.2f s", whom, took)
    assert took < EXIT_LIMIT
    wait_until(lambda: group_gone(process.pid), timeout=5)
    # Left for the next tick, unclaimed.
    recipient = Recipient.objects.get(message=message)
    assert (recipient.status, recipient.claimed_until) == (Status.PENDING, None)


def test_a_worker_stopped_mid_dispatch_finishes_its_batch_and_hands_over_the_rest(
    api_service, simulator, start_cluster
):
    simulator.settings = {"delay": 0, "send_seconds": 0.3}
    simulator.save()
    api_service.credit_limit = Decimal("1000")
    api_service.save()
    numbers = [f"486004{n:05d}" for n in range(1001, 2501)]
    message = services.submit(
        api_service.pk, services.SendRequest(recipients=numbers, text="Deploy")
    ).message
    recipients = Recipient.objects.filter(message=message)
    batch = 50

    first = start_cluster(DISPATCH_BATCH_SIZE=batch)  # the default lease: 120 s
    async_task("gateways.tasks.dispatch")
    wait_until(lambda: SimulatedSms.objects.count() >= 200)
    took = stop(first, "group")
    logger.info("dispatching, SIGTERM to the group: exited after %.2f s", took)
    assert took < EXIT_LIMIT

    # What it handed to the gateway is recorded; what it did not is not held.
    handed = set(SimulatedSms.objects.values_list("recipient_id", flat=True))
    recorded = set(
        recipients.filter(gateway=simulator)
        .exclude(status=Status.PENDING)
        .values_list("id", flat=True)
    )
    held = recipients.filter(status=Status.PENDING, claimed_until__isnull=False).count()
    logger.info("%d handed to the gateway before the stop; %d left claimed", len(handed), held)
    assert handed == recorded
    assert len(handed) < len(numbers)
    assert held <= batch
    # The rest is handed over: a dispatch task waits for the next worker.
    assert "gateways.tasks.dispatch" in {task.func() for task in OrmQ.objects.all()}

    start_cluster(DISPATCH_BATCH_SIZE=batch)  # nobody else kicks it
    wait_until(lambda: not recipients.exclude(status__in=FINAL_STATUSES).exists(), timeout=90)
    sent = SimulatedSms.objects.filter(recipient_id__in=recipients.values("id"))
    assert sorted(sent.values_list("number", flat=True)) == numbers  # every one ...
    assert not sent.filter(requests__gt=1).exists()  # ... handed over exactly once


def stubborn(pid_file: str) -> None:
    """A task that outlives its timeout: it ignores the alarm django-q2 ends tasks with."""
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(60)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_past_its_timeout_is_still_ended(start_cluster, tmp_path):
    # SIGTERM now asks a worker to stop when it can; the sentinel's end of a
    # task that outlived its timeout must stay an end.
    pid_file = tmp_path / "pid"
    start_cluster()
    async_task(f"{__name__}.stubborn", str(pid_file), q_options={"timeout": 1})
    wait_until(pid_file.exists, timeout=20)
    pid = int(pid_file.read_text())
    wait_until(lambda: not alive(pid), timeout=15)


def test_workers_killed_while_waiting_for_a_task_do_not_stop_the_cluster(start_cluster):
    """An idle worker waits in the task queue's get(), holding the queue's read lock;
    SIGKILLed there (the OOM killer), it never gives it back. django-q2 alone then runs
    no task again, silently; ours starts its processes again on new queues."""
    process = start_cluster()
    idle = [pid for pid in descendants(process.pid) if title(pid).endswith(" idle")]
    assert len(idle) == 2, [title(pid) for pid in descendants(process.pid)]
    for pid in idle:
        os.kill(pid, signal.SIGKILL)

    def new_workers():
        return {p for p in descendants(process.pid) if title(p).endswith(" idle")} - set(idle)

    wait_until(lambda: len(new_workers()) == 2, timeout=30)
    probe = async_task("math.floor", 2.5)
    wait_until(lambda: Task.objects.filter(id=probe).exists(), timeout=30)
    assert Task.objects.get(id=probe).result == 2
