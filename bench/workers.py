"""The bench command's worker parts: P3 (dispatch to final states) and CB (callbacks).

Both start a real ``qcluster`` with 2 workers on the bench database and time
the work from the moment it is queued until the database says it is done.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from gateways.models import Driver, Gateway, SimulatedSms
from messaging import services
from messaging.models import (
    Callback,
    CallbackKind,
    CallbackState,
    Recipient,
    Status,
    callback_host,
)

OPEN = [Status.PENDING, Status.QUEUED]


class Cluster:
    """``manage.py qcluster`` with 2 workers on the ORM broker of the bench database."""

    def __init__(self, **env):
        db = connection.settings_dict
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        url = f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"
        environment = {**os.environ, "DATABASE_URL": url, "Q_WORKERS": "2", "LOG_LEVEL": "WARNING"}
        environment.pop("REDIS_URL", None)
        environment.update({k: str(v) for k, v in env.items()})
        # What it logs goes to a file (kept open as long as the cluster runs), not
        # among the figures; ``tail`` shows the end of it when the work is not done.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"],
            env=environment,
            start_new_session=True,
            stdout=self.log,
            stderr=self.log,
        )
        time.sleep(3)  # up and idle

    def tail(self, size: int = 4000) -> str:
        self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, self.log.tell() - size))
        return self.log.read().decode(errors="replace")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            # A task still lingering or sleeping for the tick: the work measured is done.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


def wait_for(done, timeout: float) -> float:
    started = time.perf_counter()
    while not done():
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"not done within {timeout:.0f} s")
        time.sleep(0.05)
    return time.perf_counter() - started


def simulator() -> Gateway:
    Gateway.objects.filter(enabled=True).update(enabled=False)
    gateway, _ = Gateway.objects.update_or_create(
        name="Bench simulator",
        defaults={
            "driver": Driver.SIMULATOR,
            "settings": {"delay": 0},
            "enabled": True,
            "serves_standard": True,
            "serves_premium": True,
        },
    )
    return gateway


BROKER_URL = "redis://127.0.0.1:6379/14"  # django-q2's broker, as deployed with REDIS_URL


def fresh_broker() -> str:
    """The bench's Redis broker, emptied: tasks an earlier run left queued (for a database
    since dropped) must not keep this run's workers busy. Returns its URL."""
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()
    return BROKER_URL


def forget_earlier_work() -> None:
    """The bench database is throwaway: what P1/P2 queued must not run in front of P3."""
    Recipient.objects.filter(status=Status.PENDING).update(status=Status.CANCELLED)
    OrmQ.objects.all().delete()


def p3(command, count: int) -> None:
    forget_earlier_work()
    gateway = simulator()
    numbers = [f"48{600000000 + i}" for i in range(count)]
    # Queued first, due in the future, so that the clock starts when they fall due.
    message = services.submit(
        command.service.pk,
        services.SendRequest(recipients=numbers, text="Bench P3", send_at=None),
    ).message
    Recipient.objects.filter(message=message).update(send_at=timezone.now() + timedelta(days=1))
    cluster = Cluster(DISPATCH_LINGER_SECONDS=0.2)
    try:
        # Latency first: one immediate send, the worker idle.
        accepted = time.perf_counter()
        single = services.submit(
            command.service.pk, services.SendRequest(recipients=["48600999001"], text="latency")
        ).message
        recipient = Recipient.objects.get(message=single)
        wait_for(lambda: SimulatedSms.objects.filter(recipient_id=recipient.pk).exists(), 30)
        latency = time.perf_counter() - accepted

        recipients = Recipient.objects.filter(message=message)
        recipients.update(send_at=timezone.now())
        for _ in range(2):  # one dispatch task per worker
            async_task("gateways.tasks.dispatch")
        started = time.perf_counter()
        wait_for(lambda: not recipients.filter(status__in=OPEN).exists(), 900)
        seconds = time.perf_counter() - started
    finally:
        cluster.stop()
    final = dict(recipients.values_list("status").annotate(n=Count("id")))
    command.out(
        f"P3  {count} queued recipients → simulator (delay 0) → final states, qcluster 2 "
        f"workers: {seconds:.1f} s, {count / seconds:.0f} recipients/s (goal >= 10000)\n"
        f"    final statuses: {final}; gateway {gateway.pk}\n"
        f"    accept → gateway with an idle worker: {latency * 1000:.0f} ms (goal <= 2000)\n\n"
    )


class _ReceiverServer(ThreadingHTTPServer):
    request_queue_size = 128  # a real server's backlog: 5 would drop concurrent connects
    daemon_threads = True


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


def callbacks(command) -> None:
    forget_earlier_work()
    count = command.callback_count
    receiver = _ReceiverServer(("127.0.0.1", 0), _Receiver)
    receiver.posts = 0
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/dlr"
    body = "&".join(f"status[]=1,{i},48600000000,DELIVERED,1700000000" for i in range(20))
    future = timezone.now() + timedelta(days=1)
    Callback.objects.bulk_create(
        [
            Callback(
                service=command.service,
                kind=CallbackKind.REPORT,
                url=url,
                host=callback_host(url),
                body=body,
                record_count=20,
                next_attempt_at=future,
            )
            for _ in range(count)
        ],
        batch_size=2000,
    )
    pending = Callback.objects.filter(state=CallbackState.PENDING, url=url)
    cluster = Cluster(CALLBACK_ALLOW_PRIVATE=1)
    try:
        pending.update(next_attempt_at=timezone.now())
        for _ in range(2):
            async_task("messaging.tasks.deliver_callbacks")
        seconds = wait_for(lambda: not pending.exists(), 600)
    finally:
        cluster.stop()
        receiver.shutdown()
    delivered = Callback.objects.filter(url=url, state=CallbackState.DELIVERED).count()
    command.out(
        f"CB  {count} delivery-report callbacks (20 records each) to a loopback receiver, "
        f"qcluster 2 workers: {seconds:.1f} s, {count / seconds:.0f} POSTs/s (goal >= 500); "
        f"{receiver.posts} POSTs received, {delivered} marked delivered\n"
    )
