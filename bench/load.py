"""LOAD: the platform as deployed, driven by a mix of clients for a minute.

gunicorn (sync workers, 2 × cores + 1 as gunicorn advises), a ``qcluster`` of 2 sending
to the simulator, ``manage.py smtpd`` and an SMTP sink for the reports it mails, all on
the bench database with a Redis broker and cache. ``clients`` closed-loop clients (each
sends its next request when the last is answered, no pause) draw what to do from one
shuffled deck of ``MIX``, so every 200 requests hold the shares exactly. A request counts
as an error unless its answer is the expected success: HTTP 200 and ``error: OK`` from
the Telecube API, an SMSC answer with a status and no error, SMTP 250 after the data.

The clients are asyncio in this process, one connection a request (gunicorn's sync
workers close each one), so the driver costs one core at most; it prints what it used.
Before the load, a 20 MB ``to_file`` upload measures the web worker's peak memory: past
API_MAX_UPLOAD_BYTES it must be refused with the wire error, not read into memory.
After it, the bench waits for the workers to make every accepted recipient final and
checks that each one the clients were told was accepted is in the database.
"""

import asyncio
import contextlib
import json
import math
import os
import random
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max

from bench import mail, workers
from bench.web import Server, free_port, multipart
from mailbridge.models import InboundMail, Outcome, box_address
from messaging.models import Message, Recipient

# What the clients do, in requests per 200. The Telecube API is 90 % of them, in the
# issue's mix (80 % single sends, 10 % getProgress, 5 % bulk of 1,000, 5 %
# validateContent); SMSC status.php and mail over SMTP 5 % each.
MIX = {"send": 144, "progress": 18, "bulk": 9, "validate": 9, "status": 10, "mail": 10}
LABELS = {
    "send": "gateway/ 1 recipient",
    "progress": "getProgress",
    "bulk": "gateway/ 1,000",
    "validate": "validateContent",
    "status": "status.php",
    "mail": "SMTP mail",
}
BULK = 1000
UPLOAD_BYTES = 20 * 1024 * 1024
REQUEST_TIMEOUT = 120
TEXTS = [
    "Twoja wizyta u dentysty jutro o 10:30. Prosimy o punktualność.",
    "Your parcel is on its way and arrives tomorrow between 9 and 17.",
    "Kod logowania: 482915. Nie podawaj go nikomu.",
    "Przypominamy o płatności za fakturę 12/2026 do piątku.",
    "Thanks for your order! Pick it up at the shop from Monday.",
]


class Deck:
    """Which request comes next: ``weights`` laid out as a deck, shuffled each time it
    runs out, so that the shares are exact over every full deck and the order random."""

    def __init__(self, weights: dict[str, int], rng: random.Random):
        self.cards = [kind for kind, weight in weights.items() for _ in range(weight)]
        self.rng = rng
        self.left: list[str] = []

    def draw(self) -> str:
        if not self.left:
            self.left = self.cards[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def percentile(values: list[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with ``percent`` % at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Kind:
    seconds: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)


class Tally:
    """Every answer's latency, and the errors with a few samples, by kind."""

    def __init__(self):
        self.kinds = {kind: Kind() for kind in MIX}

    def ok(self, kind: str, seconds: float) -> None:
        self.kinds[kind].seconds.append(seconds)

    def error(self, kind: str, seconds: float, sample: str) -> None:
        entry = self.kinds[kind]
        entry.seconds.append(seconds)
        entry.errors += 1
        if len(entry.samples) < 3:
            entry.samples.append(sample[:300])

    def rows(self, elapsed: float) -> list[tuple[str, int, int, float, float, float]]:
        """(label, count, errors, per second, p50 ms, p99 ms) by kind, then overall."""
        rows = []
        every: list[float] = []
        for kind, entry in self.kinds.items():
            every += entry.seconds
            rows.append(self._row(LABELS[kind], entry.seconds, entry.errors, elapsed))
        errors = sum(entry.errors for entry in self.kinds.values())
        rows.append(self._row("overall", every, errors, elapsed))
        return rows

    @staticmethod
    def _row(label, seconds, errors, elapsed):
        p50, p99 = (percentile(seconds, p) * 1000 for p in (50, 99))
        return label, len(seconds), errors, len(seconds) / elapsed, p50, p99


# -- the wire -------------------------------------------------------------------------


async def http(port: int, method: str, path: str, body: bytes = b"", content_type: str = ""):
    """(status, body) of one HTTP/1.1 request on its own connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        if body or method == "POST":
            head += [f"Content-Length: {len(body)}"]
        if content_type:
            head += [f"Content-Type: {content_type}"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await writer.drain()
        return parse_response(await reader.read())
    finally:
        writer.close()


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


async def smtp_reply(reader) -> tuple[int, str]:
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            return 0, "connection closed: " + " ".join(lines)
        lines.append(line.decode(errors="replace").rstrip())
        if line[3:4] != b"-":
            return int(line[:3]), " ".join(lines)


def dot_stuffed(raw: bytes) -> bytes:
    """A mail as SMTP's DATA carries it: CRLF lines, a leading dot doubled, the end mark."""
    lines = raw.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


async def smtp_send(port: int, sender: str, recipient: str, raw: bytes) -> tuple[int, str]:
    """The final reply (code, text) to one mail on its own SMTP session."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        code, text = await smtp_reply(reader)
        if code != 220:
            return code, text
        for command, expected in (
            ("EHLO bench.example.com", 250),
            (f"MAIL FROM:<{sender}>", 250),
            (f"RCPT TO:<{recipient}>", 250),
            ("DATA", 354),
        ):
            writer.write(command.encode() + b"\r\n")
            code, text = await smtp_reply(reader)
            if code != expected:
                return code, text
        writer.write(dot_stuffed(raw) + b".\r\n")
        code, text = await smtp_reply(reader)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        return code, text
    finally:
        writer.close()


# -- the clients ----------------------------------------------------------------------


class Driver:
    """The clients: each draws its next request from the deck until the time is up."""

    def __init__(self, web_port: int, smtp_port: int, credentials: dict[str, str], mix=MIX):
        self.web_port, self.smtp_port = web_port, smtp_port
        self.credentials = credentials
        self.rng = random.Random(0)  # noqa: S311 - picks requests, guards nothing
        self.deck = Deck(mix, self.rng)
        self.tally = Tally()
        self.messages: list[int] = []  # accepted through the API, for getProgress
        self.unasked: list[tuple[int, str]] = []  # (id, phone) status.php has not asked
        self.accepted_recipients = 0

    async def seed(self, count: int = 20) -> None:
        """Sends for getProgress and status.php to ask about from the first second."""
        for _ in range(count):
            problem = await self.send()
            if problem:
                raise RuntimeError(f"the load's first sends were refused: {problem}")
        self.accepted_recipients = 0

    def number(self) -> str:
        return f"4860{self.rng.randrange(10**7):07d}"

    def text(self) -> str:
        return self.rng.choice(TEXTS)

    async def run(self, duration: float, clients: int) -> float:
        """Drive for ``duration`` seconds; returns the seconds until the last answer."""
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(*(self.client(deadline) for _ in range(clients)))
        return time.perf_counter() - started

    async def client(self, deadline: float) -> None:
        while time.perf_counter() < deadline:
            kind = self.deck.draw()
            started = time.perf_counter()
            try:
                problem = await asyncio.wait_for(getattr(self, kind)(), REQUEST_TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                problem = f"{type(exc).__name__}: {exc}"
            seconds = time.perf_counter() - started
            if problem:
                self.tally.error(kind, seconds, problem)
            else:
                self.tally.ok(kind, seconds)

    async def api(self, path: str, fields: dict[str, str], method: str = "POST"):
        """The answer's JSON when it is HTTP 200 with ``error: OK``; else a problem (str)."""
        fields = {**self.credentials, **fields}
        if method == "GET":
            status, body = await http(self.web_port, "GET", f"{path}?{urlencode(fields)}")
        else:
            form = urlencode(fields).encode()
            status, body = await http(
                self.web_port, "POST", path, form, "application/x-www-form-urlencoded"
            )
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        answer = json.loads(body)
        if answer.get("error") != "OK":
            return f"{answer.get('error')}: {answer.get('error_description', '')}"
        return answer

    async def gateway(self, numbers: list[str]):
        answer = await self.api(
            "/sms_api/gateway/", {"to_list": ",".join(numbers), "message": self.text()}
        )
        if isinstance(answer, str):
            return answer
        if answer["recipient_count"] != len(numbers):
            return f"{answer['recipient_count']} recipients accepted of {len(numbers)}"
        self.accepted_recipients += len(numbers)
        self.messages.append(answer["message_id"])
        return answer

    async def send(self):
        number = self.number()
        answer = await self.gateway([number])
        if isinstance(answer, str):
            return answer
        self.unasked.append((answer["message_id"], number))
        return None

    async def bulk(self):
        first = self.rng.randrange(10**7 - BULK)
        answer = await self.gateway([f"4860{first + i:07d}" for i in range(BULK)])
        return answer if isinstance(answer, str) else None

    async def progress(self):
        # A client polls what it sent lately.
        message_id = self.rng.choice(self.messages[-500:])
        answer = await self.api(f"/sms_api/getProgress/{message_id}/", {}, method="GET")
        return answer if isinstance(answer, str) else None

    async def validate(self):
        answer = await self.api("/sms_api/validateContent/", {"message": self.text()})
        return answer if isinstance(answer, str) else None

    async def status(self):
        # Each status.php request asks about an SMS not asked about yet: SMSC answers
        # error 9 to a sixth request for one message within a minute (seed 003).
        message_id, phone = self.unasked.pop(self.rng.randrange(len(self.unasked)))
        fields = {
            "login": self.credentials["username"],
            "psw": self.credentials["password"],
            "id": message_id,
            "phone": phone,
            "fmt": 3,
            "charset": "utf-8",
        }
        status, body = await http(self.web_port, "GET", f"/sys/status.php?{urlencode(fields)}")
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        answer = json.loads(body)
        if "error" in answer or answer.get("status") in (None, -3):
            return f"status.php: {body[:200]!r}"
        return None

    async def mail(self):
        raw = mail.plain_mail(self.rng.randrange(10**6)).as_bytes()
        code, text = await smtp_send(self.smtp_port, mail.SENDER, box_address(), raw)
        return None if code == 250 else f"SMTP {code}: {text}"


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

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.to_thread(self.sample)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)

    def cores(self) -> dict[str, float]:
        self.sample()
        seconds = time.perf_counter() - self.clock
        used = dict.fromkeys([*self.parts, "PostgreSQL"], 0.0)
        for (name, pid), ticks in self.last.items():
            used[name] += (ticks - self.baseline[(name, pid)]) / os.sysconf("SC_CLK_TCK")
        return {name: spent / seconds for name, spent in used.items()}


async def measured(driver: "Driver", use: CpuUse, duration: float, clients: int) -> float:
    """The driver's run, with the CPU of the platform's parts watched meanwhile."""
    stop = asyncio.Event()
    watcher = asyncio.create_task(use.watch(stop))
    try:
        return await driver.run(duration, clients)
    finally:
        stop.set()
        await watcher


def web_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def run(command, duration: int, clients: int) -> None:
    mail.prepare(command.service)
    workers.forget_earlier_work()
    workers.simulator()
    broker = workers.fresh_broker()
    web = web_workers()
    command.out(
        f"LOAD {duration} s, {clients} clients, gunicorn {web} sync workers, qcluster 2 "
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


def _drive(command, server, listener, cluster, duration, clients) -> None:
    driver = Driver(server.port, listener.port, command.credentials())
    asyncio.run(driver.seed())
    first_message = Message.objects.aggregate(last=Max("id"))["last"] or 0
    first_mail = InboundMail.objects.aggregate(last=Max("id"))["last"] or 0
    busy, total = cpu_ticks()
    use = CpuUse(
        {
            "web": server.process.pid,
            "workers": cluster.process.pid,
            "smtpd": listener.process.pid,
        },
        connection.settings_dict["NAME"],
    )
    cpu = time.process_time()
    elapsed = asyncio.run(measured(driver, use, duration, clients))
    client_cpu = (time.process_time() - cpu) / elapsed
    platform = use.cores()
    busy_after, total_after = cpu_ticks()
    machine = (busy_after - busy) / (total_after - total) * (os.cpu_count() or 1)
    ended = time.perf_counter()
    command.out(
        f"    {'kind':<22}{'count':>8}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}\n"
    )
    for label, count, errors, rate, p50, p99 in driver.tally.rows(elapsed):
        command.out(f"    {label:<22}{count:>8}{errors:>8}{rate:>9.1f}{p50:>9.0f}{p99:>9.0f}\n")
    for kind, entry in driver.tally.kinds.items():
        for sample in entry.samples:
            command.out(f"    error, {LABELS[kind]}: {sample}\n")
    parts = ", ".join(f"{name} {cores:.2f}" for name, cores in platform.items())
    others = machine - sum(platform.values()) - client_cpu
    command.out(
        f"    CPU in cores (of {os.cpu_count()}): the machine {machine:.2f} busy; the platform "
        f"{sum(platform.values()):.2f} ({parts}), the clients {client_cpu:.2f}, "
        f"everything else on the machine {max(others, 0):.2f}\n"
    )
    mails = InboundMail.objects.filter(id__gt=first_mail)
    by_mail = mails.filter(outcome=Outcome.SENT).count()
    accepted = driver.accepted_recipients + by_mail
    made = Recipient.objects.filter(message__service=command.service, message_id__gt=first_message)
    try:
        workers.wait_for(lambda: not made.filter(status__in=workers.OPEN).exists(), 1800)
    except TimeoutError as exc:
        command.out(f"    NOT FINAL: {exc}; the qcluster's log ends:\n{cluster.tail()}\n")
    tail = time.perf_counter() - ended
    stored = made.count()
    still_open = made.filter(status__in=workers.OPEN).count()
    final = dict(made.values_list("status").annotate(n=Count("id")))
    answered = len(driver.tally.kinds["mail"].seconds) - driver.tally.kinds["mail"].errors
    command.out(
        f"    {answered} mails answered 250, {by_mail} became messages; recipients accepted "
        f"{accepted} ({driver.accepted_recipients} by the API, {by_mail} by mail), in the "
        f"database {stored}, final {stored - still_open}, lost {max(accepted - stored, 0)}, "
        f"unexpected {max(stored - accepted, 0)}; every one final {tail:.1f} s after the "
        f"end; statuses {final}\n\n"
    )
