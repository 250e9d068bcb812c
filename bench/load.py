"""LOAD: the platform as deployed, driven by a mix of clients for a minute.

gunicorn (sync workers, 2 × cores + 1 as gunicorn advises), a ``qcluster`` of 2 sending
to the simulator, ``manage.py smtpd`` and an SMTP sink for the reports it mails, all on
the bench database with a Redis broker and cache. The clients are locust's
(bench/locustfile.py: closed-loop users drawing from one shuffled deck of bench/mix.py's
MIX, the expected success of each kind), run headless as a process of their own, so
that gevent's patching of the standard library never reaches this one; the bench reads
locust's CSV stats and the recipients the clients were told were accepted.

Before the load, a 20 MB ``to_file`` upload measures the web worker's peak memory: past
API_MAX_UPLOAD_BYTES it must be refused with the wire error, not read into memory.
During it, the CPU of each part (the clients are locust's process) is looked at every
second. After it, the bench waits for the workers to make every accepted recipient final
and checks that each one the clients were told was accepted is in the database.
"""

import csv
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max

from bench import mail, workers
from bench.mix import LABELS
from bench.web import Server, free_port, multipart
from mailbridge.models import InboundMail, Outcome, box_address
from messaging.models import Message, Recipient

UPLOAD_BYTES = 20 * 1024 * 1024
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
ROOT = Path(__file__).resolve().parent.parent


# -- the wire -------------------------------------------------------------------------


def parse_response(data: bytes) -> tuple[int, bytes]:
    """(status, body) of a whole HTTP/1.1 response read to the connection's end."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.lower().split(b":", 1) for line in lines[1:] if b":" in line)
    if headers.get(b"transfer-encoding", b"").strip() == b"chunked":
        chunks, rest = [], body
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            rest = rest[size + 2 :]
        body = b"".join(chunks)
    return status, body


# -- the 20 MB upload -----------------------------------------------------------------


def memory_kb(pid: int, name: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{name}:\s+(\d+) kB", status).group(1))


def reset_peak(pid: int) -> bool:
    """Start the process's peak memory (VmHWM) again from what it holds now."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def post_upload(port: int, body: bytes, content_type: str) -> tuple[float, int, bytes, int]:
    """(seconds, status, answer, bytes of the body sent) for an upload the server may
    answer before it has read it all."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        head = (
            f"POST /sms_api/gateway/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Connection: close\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head)
        sent = 0
        try:
            for offset in range(0, len(body), 65536):
                chunk = body[offset : offset + 65536]
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # answered and closed before the end: the answer is read below
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError as exc:
            if not chunks:
                return time.perf_counter() - started, 0, repr(exc).encode(), sent
    status, answer = parse_response(b"".join(chunks))
    return time.perf_counter() - started, status, answer, sent


def upload_bodies(credentials: dict[str, str]) -> dict[str, tuple[bytes, str]]:
    """UPLOAD_BYTES of numbers as a to_file upload and as a plain form's to_list; and a
    to_file just within API_MAX_UPLOAD_BYTES, for comparison."""
    lines = b"".join(b"48%09d\n" % (600000000 + i) for i in range(UPLOAD_BYTES // 12 + 1))
    fields = {**credentials, "message": "Bench upload"}
    listed = urlencode(fields).encode() + b"&to_list=" + lines.replace(b"\n", b"%2C")
    limit = settings.API_MAX_UPLOAD_BYTES
    at_limit = lines[: lines.rfind(b"\n", 0, limit) + 1]
    return {
        "to_file (multipart)": multipart(fields, "to_file", lines[:UPLOAD_BYTES]),
        "to_list (urlencoded form)": (
            listed[: listed.rfind(b"%2C", 0, UPLOAD_BYTES)],
            "application/x-www-form-urlencoded",
        ),
        # Last: a worker keeps the memory it grew to, and would need none new after it.
        "to_file (multipart), at the limit": multipart(fields, "to_file", at_limit),
    }


def upload_memory(command, server: Server) -> None:
    """Each body once, to a worker whose peak memory starts again from its RSS."""
    limit = settings.API_MAX_UPLOAD_BYTES / 2**20
    for name, (body, content_type) in upload_bodies(command.credentials()).items():
        pids = server.worker_pids()
        fresh = all(reset_peak(pid) for pid in pids)
        before = {pid: memory_kb(pid, "VmRSS" if fresh else "VmHWM") for pid in pids}
        seconds, status, answer, sent = post_upload(server.port, body, content_type)
        peak = {pid: memory_kb(pid, "VmHWM") for pid in pids}
        pid = max(pids, key=lambda p: peak[p] - before[p])
        try:
            wire = json.loads(answer)
            said = (
                f"{wire.get('error')} (error_from {wire.get('error_from')}: "
                f"{str(wire.get('error_description'))[:90]})"
            )
        except ValueError:
            said = repr(answer[:200])
        command.out(
            f"    {len(body) / 2**20:.0f} MB {name}, limit {limit:.0f} MB: web worker RSS "
            f"before {before[pid] / 1024:.0f} MB, peak {peak[pid] / 1024:.0f} MB "
            f"(+{(peak[pid] - before[pid]) / 1024:.1f} MB); answer HTTP {status} {said} in "
            f"{seconds * 1000:.0f} ms, {sent / 2**20:.1f} MB of the body sent\n"
        )


# -- the run --------------------------------------------------------------------------


def cpu_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every core since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def process_ticks(pid: int) -> int:
    """Clock ticks of CPU (user and system) a process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def descendants(pid: int) -> list[int]:
    """The process and every process under it."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += descendants(int(child))
    return found


def postgres_backends(database: str) -> list[int]:
    """This machine's PostgreSQL server processes serving ``database``, found by the
    title PostgreSQL gives them ("postgres: [cluster: ]user database host(port) state")."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            found.append(int(entry.name))
    return found


class CpuUse:
    """The CPU each of the platform's parts uses over the load, in cores: its processes
    (and the database's backends, when PostgreSQL runs on this machine) are looked at
    every second, so that one that ends meanwhile still counts up to its last look."""

    def __init__(self, parts: dict[str, int], database: str):
        self.parts = parts  # name: root pid
        self.database = database
        self.baseline: dict[tuple[str, int], int] = {}
        self.last: dict[tuple[str, int], int] = {}
        self.sample(first=True)
        self.clock = time.perf_counter()

    def sample(self, first: bool = False) -> None:
        groups = {name: descendants(pid) for name, pid in self.parts.items()}
        groups["PostgreSQL"] = postgres_backends(self.database)
        for name, pids in groups.items():
            for pid in pids:
                ticks = process_ticks(pid)
                # A process first seen after the start began after it: all its CPU counts.
                self.baseline.setdefault((name, pid), ticks if first else 0)
                self.last[(name, pid)] = max(ticks, self.last.get((name, pid), 0))

    def cores(self) -> dict[str, float]:
        self.sample()
        seconds = time.perf_counter() - self.clock
        used = dict.fromkeys([*self.parts, "PostgreSQL"], 0.0)
        for (name, pid), ticks in self.last.items():
            used[name] += (ticks - self.baseline[(name, pid)]) / os.sysconf("SC_CLK_TCK")
        return {name: spent / seconds for name, spent in used.items()}


def web_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def run(command, duration: int, clients: int) -> None:
    mail.prepare(command.service)
    workers.forget_earlier_work()
    workers.simulator()
    broker = workers.fresh_broker()
    web = web_workers()
    command.out(
        f"LOAD {duration} s, {clients} locust clients, gunicorn {web} sync workers, qcluster 2 "
        f"workers, smtpd {mail.PROCESSES} processes (Redis broker and cache, LOG_LEVEL=INFO); "
        "mix of requests: gateway/ 1 recipient 72 %, getProgress 9 %, gateway/ 1,000 "
        "recipients 4.5 %, validateContent 4.5 % (the API's 80/10/5/5, 90 % of all), "
        "SMSC status.php 5 %, mail over SMTP 5 %\n"
    )
    server = Server(workers=web, REDIS_URL=broker, CACHE_URL=broker)
    reports = mail.Sink()
    cluster = listener = None
    try:
        for _ in range(2 * web):  # load the code in every worker
            command.gateway(server, "48600000001")
        upload_memory(command, server)
        cluster = workers.Cluster(
            REDIS_URL=broker,
            LOG_LEVEL="INFO",
            EMAIL_URL=f"smtp://127.0.0.1:{reports.port}",
            SMS2EMAIL_MAIL_PER_HOUR=10**9,
        )
        with tempfile.TemporaryDirectory() as home:
            listener = mail.Listener(free_port(), home)
            try:
                _drive(command, server, listener, cluster, duration, clients)
            finally:
                listener.stop()
    finally:
        if cluster is not None:
            cluster.stop()
        reports.stop()
        server.stop()


def seed_messages(port: int, credentials: dict[str, str], count: int) -> list[list]:
    """[message id, phone] of ``count`` single sends, for getProgress and status.php to
    ask about from the load's first second."""
    seeded = []
    for i in range(count):
        phone = f"48609{i:06d}"
        body = urlencode({**credentials, "to_list": phone, "message": "Bench"}).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.request(
                "POST",
                "/sms_api/gateway/",
                body,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            answer = conn.getresponse().read()
        finally:
            conn.close()
        wire = json.loads(answer)
        if wire.get("error") != "OK":
            raise RuntimeError(f"the load's first sends were refused: {answer[:300]!r}")
        seeded.append([wire["message_id"], phone])
    return seeded


class Locust:
    """locust, headless, driving ``users`` clients of bench/locustfile.py at ``host`` for
    ``seconds``; its stats go to ``folder``. A process of its own, in a session of its
    own, whose output is kept in a file and shown when it fails."""

    def __init__(self, folder: str, host: str, users: int, seconds: float, **config):
        self.folder = Path(folder)
        self.accepted_file = self.folder / "accepted.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BENCH_ACCEPTED": str(self.accepted_file),
            "BENCH_STATS": str(self.folder / "load"),
            **{f"BENCH_{name.upper()}": str(value) for name, value in config.items()},
        }
        self.log = (self.folder / "locust.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                host,
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                # At the end each user finishes the request it is waiting for, so that
                # every answer is counted and every accepted send known.
                "--stop-timeout",
                "120",
                # The stats as locust's --csv files hold them: written by the locustfile
                # once every user has stopped (locust's own may miss the last second).
                "--only-summary",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout: float) -> None:
        """Until locust has ended; it answers 1 when any request failed, which the stats
        show: anything else is the run's own failure."""
        try:
            code = self.process.wait(timeout)
        finally:
            self.stop()
        if code not in (0, 1):
            raise RuntimeError(f"locust ended with {code}:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        """Kill what is left of the run (it has a session of its own): nothing when it
        ended by itself."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()

    def output(self) -> str:
        return (self.folder / "locust.log").read_text(errors="replace")

    def rows(self) -> list[dict[str, str]]:
        with (self.folder / "load_stats.csv").open() as file:
            return list(csv.DictReader(file))

    def failures(self) -> list[dict[str, str]]:
        with (self.folder / "load_failures.csv").open() as file:
            return list(csv.DictReader(file))

    def exceptions(self) -> list[dict[str, str]]:
        """What a user raised instead of answering (a bug in the locustfile)."""
        with (self.folder / "load_exceptions.csv").open() as file:
            return list(csv.DictReader(file))

    def accepted(self) -> dict:
        return json.loads(self.accepted_file.read_text())


def figures(rows: list[dict[str, str]]) -> list[tuple[str, int, int, float, float, float]]:
    """(kind, count, errors, per second, p50 ms, p99 ms) by kind in LABELS' order, then
    overall, from locust's ``*_stats.csv`` rows (a kind may hold a row a request type)."""

    def number(text: str) -> float:
        return float("nan") if text in ("", "N/A") else float(text)

    by_name = {}
    for row in rows:
        name = "overall" if row["Name"] == "Aggregated" else row["Name"]
        by_name.setdefault(name, []).append(row)
    table = []
    for name in [*LABELS.values(), "overall"]:
        found = by_name.get(name, [])
        count = sum(int(row["Request Count"]) for row in found)
        errors = sum(int(row["Failure Count"]) for row in found)
        rate = sum(number(row["Requests/s"]) for row in found)
        busiest = max(found, key=lambda row: int(row["Request Count"]), default=None)
        p50, p99 = (number(busiest[p]) if busiest else float("nan") for p in ("50%", "99%"))
        table.append((name, count, errors, rate, p50, p99))
    return table


def _drive(command, server, listener, cluster, duration, clients) -> None:
    credentials = command.credentials()
    seeded = seed_messages(server.port, credentials, 20)
    first_message = Message.objects.aggregate(last=Max("id"))["last"] or 0
    first_mail = InboundMail.objects.aggregate(last=Max("id"))["last"] or 0
    with tempfile.TemporaryDirectory() as folder:
        busy, total = cpu_ticks()
        started = time.perf_counter()
        clients_run = Locust(
            folder,
            f"http://127.0.0.1:{server.port}",
            clients,
            duration,
            username=credentials["username"],
            password=credentials["password"],
            seeded=json.dumps(seeded),
            smtp_port=listener.port,
            mail_from=mail.SENDER,
            mail_to=box_address(),
            mail_password=mail.PASSWORD,
            seed=0,
        )
        use = CpuUse(
            {
                "web": server.process.pid,
                "workers": cluster.process.pid,
                "smtpd": listener.process.pid,
                "clients": clients_run.process.pid,
            },
            connection.settings_dict["NAME"],
        )
        deadline = started + duration + 300
        try:
            while clients_run.process.poll() is None and time.perf_counter() < deadline:
                use.sample()
                time.sleep(1)
            clients_run.wait(timeout=60)
        finally:
            clients_run.stop()
        cores = use.cores()
        busy_after, total_after = cpu_ticks()
        ended = time.perf_counter()
        rows, failures = clients_run.rows(), clients_run.failures()
        exceptions, told = clients_run.exceptions(), clients_run.accepted()
    machine = (busy_after - busy) / (total_after - total) * (os.cpu_count() or 1)
    command.out(
        f"    {'kind':<22}{'count':>8}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}\n"
    )
    table = figures(rows)
    for label, count, errors, rate, p50, p99 in table:
        command.out(f"    {label:<22}{count:>8}{errors:>8}{rate:>9.1f}{p50:>9.0f}{p99:>9.0f}\n")
    shown: dict[str, int] = {}
    for failure in failures:
        if shown.setdefault(failure["Name"], 0) < 3:
            shown[failure["Name"]] += 1
            command.out(
                f"    error, {failure['Name']} ({failure['Occurrences']}×): {failure['Error']}\n"
            )
    for exception in exceptions:
        command.out(f"    EXCEPTION in a client ({exception['Count']}×): {exception['Message']}\n")
    client_cpu = cores.pop("clients")
    parts = ", ".join(f"{name} {used:.2f}" for name, used in cores.items())
    others = machine - sum(cores.values()) - client_cpu
    command.out(
        f"    CPU in cores (of {os.cpu_count()}): the machine {machine:.2f} busy; the platform "
        f"{sum(cores.values()):.2f} ({parts}), the clients (locust) {client_cpu:.2f}, "
        f"everything else on the machine {max(others, 0):.2f}\n"
    )
    mails = InboundMail.objects.filter(id__gt=first_mail)
    by_mail = mails.filter(outcome=Outcome.SENT).count()
    by_api = told["recipients"]
    accepted = by_api + by_mail
    made = Recipient.objects.filter(message__service=command.service, message_id__gt=first_message)
    try:
        workers.wait_for(lambda: not made.filter(status__in=workers.OPEN).exists(), 1800)
    except TimeoutError as exc:
        command.out(f"    NOT FINAL: {exc}; the qcluster's log ends:\n{cluster.tail()}\n")
    tail = time.perf_counter() - ended
    stored = made.count()
    still_open = made.filter(status__in=workers.OPEN).count()
    final = dict(made.values_list("status").annotate(n=Count("id")))
    command.out(
        f"    {told['mails_250']} mails answered 250, {by_mail} became messages; recipients "
        f"accepted {accepted} ({by_api} by the API, {by_mail} by mail), in the database "
        f"{stored}, final {stored - still_open}, lost {max(accepted - stored, 0)}, "
        f"unexpected {max(stored - accepted, 0)}; every one final {tail:.1f} s after the "
        f"end; statuses {final}\n\n"
    )
