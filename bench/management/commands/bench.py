"""Measure the send path on PostgreSQL and print the figures (asserts nothing).

P1  one gateway/ request with a to_file of N numbers, against a raw COPY of N rows
P2  single-recipient gateway/ requests a second through gunicorn (2 workers),
    against a bare view doing only the database work a send needs
P2E the same sends for 30 s with a qcluster dispatching them beside the web, as
    deployed (Redis broker, LOG_LEVEL=INFO): sends/s accepted against the floor,
    accept latency, and how soon after the end every one is final
P5  getProgress for the N-recipient message: its first read, after reports changed
    some of its statuses, and unchanged since the last call
P3  N queued recipients through the simulator (delay 0) to final states with a
    qcluster of 2 workers; and accept-to-gateway latency with an idle worker
CB  delivery-report callbacks POSTed a second to a receiver on loopback
P4  mails a second through manage.py smtpd to stored messages (8 connections),
    plain and PGP-encrypted, against mailbridge.pgp decrypting the same mails
LOAD 50 locust clients (a process of their own) for 60 s against gunicorn, qcluster and
    smtpd: the API's mix, status.php and mail, p50/p99 by kind, none lost; and the web
    worker's peak memory taking a 20 MB upload (bench/load.py, bench/locustfile.py)
C1  the address book's import of a 100,000-row CSV (windows-1250, semicolons), new then
    again as updates (bench/contacts.py)
C2  a personalised send to a 100,000-contact group, against the P1 raw COPY floor
    measured in the same run (bench/personal.py)

Run it on a throwaway database: ``make bench`` makes one.
"""

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts import apiauth, ledger
from accounts.models import AllowedAddress, Customer, Service, ServiceKind, ServiceState
from bench import contacts, load, mail, personal, usage, workers
from bench.web import Server, multipart, peak_rss_kb
from messaging import services, transitions
from messaging.models import Recipient, Status
from messaging.transitions import Report

BENCH_USER = "bench"


def wrk_percentile(output: str, percent: int) -> float:
    """A latency percentile of ``wrk --latency`` in milliseconds."""
    value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Command(BaseCommand):
    help = "Benchmark the send path (P1-P5, callbacks, load) on PostgreSQL; prints figures."

    def add_arguments(self, parser):
        parser.add_argument("--recipients", type=int, default=100_000)
        parser.add_argument(
            "--duration", type=int, help="seconds per wrk run (10), of the load (60)"
        )
        parser.add_argument("--clients", type=int, default=50, help="concurrent clients of LOAD")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--p2e-duration", type=int, default=30, help="seconds of P2E sends")
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument(
            "--only",
            choices=[
                *("p1", "p2", "p2e", "p3", "p4", "callbacks", "usage", "smsc", "load"),
                "contacts",
                "personal",
            ],
            help="run one part alone (p1 runs P1 and P5)",
        )
        parser.add_argument("--callbacks", type=int, default=5000, help="callbacks for CB")
        parser.add_argument("--mails", type=int, default=2000, help="mails a round for P4")

    def handle(self, *args, recipients, duration, connections, rounds, only, **options):
        self.callback_count = options["callbacks"]
        if connection.vendor != "postgresql":
            raise CommandError("the benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
        without_wrk = ("p3", "p4", "callbacks", "usage", "load", "contacts", "personal")
        if only not in without_wrk and not shutil.which("wrk"):
            raise CommandError("wrk is missing (apt-get install wrk)")
        self.password = "bench-" + uuid.uuid4().hex
        self.service = self.bench_service()
        self.out(
            f"PostgreSQL {connection.cursor().connection.info.server_version}, "
            f"{os.cpu_count()} CPUs, {recipients} recipients\n"
        )
        if only in ("p3", "callbacks"):
            workers.p3(self, recipients) if only == "p3" else workers.callbacks(self)
            return
        if only == "p4":
            mail.run(self, options["mails"], rounds)
            return
        if only == "usage":
            usage.run(self)
            return
        if only == "load":
            load.run(self, duration or 60, options["clients"])
            return
        if only == "contacts":
            contacts.run(self)
            return
        if only == "personal":
            personal.run(self, recipients, rounds)
            return
        load_duration, duration = duration or 60, duration or 10
        if only == "p2e":
            self.p2e(options["p2e_duration"], connections)
            return
        server = Server(workers=2)
        try:
            for _ in range(4):  # load the code in both workers
                self.gateway(server, "48600000001")
            if only == "smsc":
                self.p2s(server, duration, connections, rounds)
                return
            if only != "p2":
                message_ids = self.p1(server, recipients, rounds)
                self.p5(server, message_ids, rounds)
            if only != "p1":
                self.p2(server, duration, connections, rounds)
            if only is None:
                self.p2s(server, duration, connections, rounds)
        finally:
            server.stop()
        if only is None:
            self.p2e(options["p2e_duration"], connections)
            workers.p3(self, recipients)
            workers.callbacks(self)
            mail.run(self, options["mails"], rounds)
            load.run(self, load_duration, options["clients"])
            usage.run(self)
            contacts.run(self)
            personal.run(self, recipients, rounds)

    def out(self, text: str):
        self.stdout.write(text)
        self.stdout.flush()

    def bench_service(self) -> Service:
        user, _ = get_user_model().objects.get_or_create(username=BENCH_USER)
        customer, _ = Customer.objects.get_or_create(user=user, defaults={"name": "Benchmark"})
        service, _ = Service.objects.get_or_create(
            customer=customer,
            name="Benchmark",
            defaults={"kind": ServiceKind.ONE_WAY, "state": ServiceState.ACTIVE},
        )
        apiauth.set_api_password(service, self.password)
        AllowedAddress.objects.get_or_create(service=service, network="127.0.0.1")
        ledger.top_up(service.pk, Decimal("1000000000"), note="benchmark")
        return service

    def credentials(self) -> dict[str, str]:
        return {"username": self.service.api_username, "password": self.password}

    def gateway(self, server: Server, number: str) -> bytes:
        body = urlencode({**self.credentials(), "to_list": number, "message": "Bench"})
        _, data = server.request(
            "POST", "/sms_api/gateway/", body.encode(), "application/x-www-form-urlencoded"
        )
        if b'"error":"OK"' not in data:
            raise CommandError(f"gateway/ refused the bench request: {data[:300]!r}")
        return data

    # -- P1 ------------------------------------------------------------------------------

    def raw_copy_seconds(self, message_id: int, count: int) -> float:
        now = timezone.now().isoformat()
        rows = "".join(
            f"{message_id}\t48{600000000 + i}\tPENDING\t{now}\t{now}\tf\n" for i in range(count)
        )
        sql = (
            f"COPY {Recipient._meta.db_table} "
            "(message_id, number, status, status_at, send_at, refunded) FROM STDIN"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            with cursor.cursor.copy(sql) as copy:
                copy.write(rows)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    def p1(self, server: Server, count: int, rounds: int) -> list[int]:
        numbers = "\n".join(f"{600000000 + i}" for i in range(count)).encode()
        body, content_type = multipart(
            {**self.credentials(), "message": "Bench P1"}, "to_file", numbers
        )
        self.out(f"P1  gateway/ with a to_file of {count} numbers ({len(body) / 1e6:.1f} MB)\n")
        anchor = services.submit(
            self.service.pk, services.SendRequest(recipients=["48600000002"], text="anchor")
        ).message.pk
        ratios, message_ids = [], []
        for round_ in range(1, rounds + 1):
            before = {pid: peak_rss_kb(pid) for pid in server.worker_pids()}
            seconds, data = server.request("POST", "/sms_api/gateway/", body, content_type)
            after = {pid: peak_rss_kb(pid) for pid in server.worker_pids()}
            match = re.search(rb'"message_id":(\d+)', data)
            if not match:
                raise CommandError(f"P1 request refused: {data[:300]!r}")
            message_id = int(match.group(1))
            message_ids.append(message_id)
            stored = Recipient.objects.filter(message_id=message_id).count()
            copy_seconds = self.raw_copy_seconds(anchor, count)
            extra_mb = max(after[pid] - before.get(pid, after[pid]) for pid in after) / 1024
            ratios.append(seconds / copy_seconds)
            self.out(
                f"    round {round_}: request {seconds * 1000:7.0f} ms, raw COPY "
                f"{copy_seconds * 1000:5.0f} ms, ratio {seconds / copy_seconds:4.2f}, "
                f"worker peak memory +{extra_mb:.0f} MB, {stored} recipients stored\n"
            )
        self.out(f"    median ratio {statistics.median(ratios):.2f} (goal <= 3)\n\n")
        return message_ids

    # -- P5 ------------------------------------------------------------------------------

    def p5(self, server: Server, message_ids: list[int], rounds: int):
        # Autovacuum analyses a table soon after bulk inserts; the bench does not
        # wait for it, so that the plan is the one a running system would use.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Recipient._meta.db_table}")
        path = f"/sms_api/getProgress/{{}}/?{urlencode(self.credentials())}"

        def get_progress(message_id: int) -> tuple[float, bytes]:
            seconds, data = server.request("GET", path.format(message_id))
            if not data.startswith(b'{"error":"OK"'):
                raise CommandError(f"getProgress refused: {data[:300]!r}")
            return seconds, data

        # Nobody has asked for these lists yet: each is read whole.
        first = [get_progress(message_id)[0] for message_id in message_ids]
        message_id, step = message_ids[-1], 200
        instance_ids = list(
            Recipient.objects.filter(message_id=message_id)
            .order_by("id")
            .values_list("id", flat=True)[: step * max(rounds, 5)]
        )
        changed, unchanged = [], []
        for round_ in range(max(rounds, 5)):
            # What a gateway's report does: some statuses of the message change.
            batch = instance_ids[round_ * step : (round_ + 1) * step]
            transitions.apply_reports([Report(rid, Status.DELIVERED) for rid in batch])
            for times in (changed, unchanged, unchanged):
                seconds, data = get_progress(message_id)
                times.append(seconds)
            delivered = int(re.search(rb'"success_count":(\d+)', data).group(1))
            if delivered != (round_ + 1) * step:
                raise CommandError(
                    f"getProgress says {delivered} delivered, not {(round_ + 1) * step}"
                )
        self.out(
            f"P5  getProgress of a {len(data) / 1e6:.1f} MB list ({len(message_ids)} messages), "
            "goal <= 50 ms:\n"
            f"    first read: median {statistics.median(first) * 1000:.0f} ms, "
            f"best {min(first) * 1000:.0f} ms\n"
            f"    after reports changed {step} statuses: median "
            f"{statistics.median(changed) * 1000:.0f} ms, best {min(changed) * 1000:.0f} ms\n"
            f"    unchanged since the last call: median "
            f"{statistics.median(unchanged) * 1000:.0f} ms, best {min(unchanged) * 1000:.0f} ms\n\n"
        )

    # -- P2 ------------------------------------------------------------------------------

    def wrk(
        self, server: Server, path: str, body: str, duration: int, connections: int, latency=False
    ):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                f'wrk.method = "POST"\nwrk.body = {body!r}\n'.replace("'", '"')
                + 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            )
        try:
            result = subprocess.run(  # noqa: S603
                [
                    shutil.which("wrk"),
                    "-t2",
                    f"-c{connections}",
                    f"-d{duration}s",
                    "--latency",
                    "-s",
                    script.name,
                    f"http://127.0.0.1:{server.port}{path}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            os.unlink(script.name)
        match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        rate, failed = float(match.group(1)), int(errors.group(1)) if errors else 0
        if latency:
            p50, p99 = (wrk_percentile(result.stdout, percent) for percent in (50, 99))
            return rate, failed, p50, p99
        return rate, failed

    def alternate(self, server: Server, base, other, duration, connections, rounds):
        """wrk on two (label, path, body) runs in turn, counting the messages each made;
        prints every round and the medians, returns (base, other) medians in req/s."""
        messages = self.service.messages
        rates = {base[0]: [], other[0]: []}
        for round_ in range(1, rounds + 1):
            parts = []
            for label, path, body in (base, other):
                before = messages.count()
                rate, errors = self.wrk(server, path, body, duration, connections)
                rates[label].append(rate)
                made = messages.count() - before
                parts.append(f"{label} {rate:5.0f} req/s ({made} messages, {errors} HTTP errors)")
            ratio = rates[other[0]][-1] / rates[base[0]][-1]
            self.out(f"    round {round_}: {', '.join(parts)}, ratio {ratio:.2f}\n")
        first, second = statistics.median(rates[base[0]]), statistics.median(rates[other[0]])
        # The machine's speed drifts from run to run: each round's ratio pairs two runs
        # made moments apart, so their median is the steadier figure.
        ratio = statistics.median(
            b / a for a, b in zip(rates[base[0]], rates[other[0]], strict=True)
        )
        self.out(
            f"    median: {base[0]} {first:.0f} req/s, {other[0]} {second:.0f} req/s; "
            f"median of the rounds' ratios {ratio:.2f}\n"
        )
        return first, second, ratio

    def p2s(self, server: Server, duration: int, connections: int, rounds: int):
        """P2S: the SMSC send.php against gateway/, one recipient each, alternating."""
        self.out(
            f"P2S single-recipient sends, gateway/ and SMSC send.php alternating, "
            f"wrk {connections} connections, {duration} s a run\n"
        )
        credentials = self.credentials()
        telecube = urlencode({**credentials, "to_list": "600123456", "message": "Bench P2S"})
        smsc = urlencode(
            {
                "login": credentials["username"],
                "psw": credentials["password"],
                "phones": "600123456",
                "mes": "Bench P2S",
                "fmt": 3,
                "charset": "utf-8",
            }
        )
        self.alternate(
            server,
            ("gateway/", "/sms_api/gateway/", telecube),
            ("send.php", "/sys/send.php", smsc),
            duration,
            connections,
            rounds,
        )

    def p2(self, server: Server, duration: int, connections: int, rounds: int):
        self.out(
            f"P2  single-recipient sends, gunicorn 2 workers, wrk {connections} connections, "
            f"{duration} s a run, floor and gateway/ alternating\n"
        )
        body = urlencode({**self.credentials(), "to_list": "600123456", "message": "Bench P2"})
        _floor, _rate, ratio = self.alternate(
            server,
            ("floor", f"/bench/floor/?service={self.service.pk}", ""),
            ("gateway/", "/sms_api/gateway/", body),
            duration,
            connections,
            rounds,
        )
        self.out(f"    goal: gateway/ at least 0.8 × the floor ({ratio:.2f})\n\n")

    # -- P2E -----------------------------------------------------------------------------

    def p2e(self, duration: int, connections: int):
        """Single sends for ``duration`` seconds with a qcluster dispatching them to the
        simulator meanwhile, web and worker on the same cores, as deployed."""
        self.out(
            f"P2E single-recipient sends for {duration} s, gunicorn 2 workers and a qcluster "
            f"of 2 beside it (Redis broker, LOG_LEVEL=INFO), wrk {connections} connections\n"
        )
        workers.forget_earlier_work()
        workers.simulator()
        # One Redis for broker and cache, as deployed with REDIS_URL: the web sees the
        # workers' dispatch loops and queues no task while one runs.
        broker = workers.fresh_broker()
        server = Server(workers=2, REDIS_URL=broker, CACHE_URL=broker)
        try:
            for _ in range(4):
                self.gateway(server, "48600000001")
            floor, _ = self.wrk(
                server, f"/bench/floor/?service={self.service.pk}", "", 10, connections
            )
            # What the floor and the warm-up stored is not for the worker to send.
            workers.forget_earlier_work()
            first = Recipient.objects.order_by("-id").values_list("id", flat=True).first() or 0
            cluster = workers.Cluster(REDIS_URL=workers.BROKER_URL, LOG_LEVEL="INFO")
            try:
                body = urlencode(
                    {**self.credentials(), "to_list": "600123456", "message": "Bench P2E"}
                )
                rate, errors, p50, p99 = self.wrk(
                    server, "/sms_api/gateway/", body, duration, connections, latency=True
                )
                ended = time.perf_counter()
                made = Recipient.objects.filter(id__gt=first)
                try:
                    workers.wait_for(lambda: not made.filter(status__in=workers.OPEN).exists(), 120)
                except TimeoutError as exc:
                    log = cluster.tail()
                    raise CommandError(f"P2E: {exc}; the qcluster's log ends:\n{log}") from exc
                tail = time.perf_counter() - ended
                count = made.count()
                final = dict(made.values_list("status").annotate(n=Count("id")))
            finally:
                cluster.stop()
            # The floor again, after: the machine's speed drifts; the ratio takes both.
            after, _ = self.wrk(
                server, f"/bench/floor/?service={self.service.pk}", "", 10, connections
            )
            workers.forget_earlier_work()
        finally:
            server.stop()
        floor = (floor + after) / 2
        self.out(
            f"    floor (worker stopped, before and after) {floor:.0f} req/s; accepted "
            f"{count} sends, {rate:.0f} sends/s, {errors} HTTP errors, "
            f"ratio {rate / floor:.2f} (goal >= 0.6)\n"
            f"    accept latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; every one final "
            f"{tail:.1f} s after the end (goal <= 5); {count / (duration + tail):.0f} "
            f"recipients/s made final; statuses {final}\n\n"
        )
