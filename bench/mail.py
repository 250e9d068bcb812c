"""The bench command's P4: mails a second through ``manage.py smtpd``, end to end.

As deployed: a ``qcluster`` runs beside the listener (Redis broker), the service's
delivery reports by mail are on and mailed through an SMTP sink, everything logs at
INFO. Each mail goes in over SMTP (8 connections at once, each sending mail after
mail), is authenticated, parsed and handed to the send pipeline, which charges and
stores its message; the workers send it to the simulator, write its report and mail
it. The figure counts mails answered 250 in the time, against a no-op SMTP server
(aiosmtpd's Sink, its own process) taking the same mails in the same round; then the
bench waits until every mail's SMS is final and its report mailed.

The PGP run encrypts the same mails to the platform key, next to floors measured in
the same run: mailbridge.pgp decrypting those mails in a loop (the goal's floor), and
with as many threads as smtpd has connections (a stricter one).
"""

import os
import secrets
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid

from django.conf import settings
from django.db import connection

from bench import workers
from lib import sealed
from mailbridge.models import (
    InboundMail,
    OutboundKind,
    OutboundMail,
    Outcome,
    ReplyState,
    Sms2EmailSettings,
    box_address,
)
from mailbridge.senders import set_authorised
from messaging.models import Recipient

SENDER = "bench@example.com"
PASSWORD = "bench-" + secrets.token_hex(8)
CONNECTIONS = 8
PROCESSES = 2  # one listener process a core


class Sink:
    """A no-op SMTP server in its own process (aiosmtpd's Sink): it takes every mail and
    keeps none. The floor P4 is measured against, and where the reports are mailed."""

    def __init__(self):
        self.port = _free_port()
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Sink",
            ],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )
        _wait_for_smtp(self.port)

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


def _wait_for_smtp(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no SMTP server came up on port {port}")


class Listener:
    """``manage.py smtpd`` on the bench database, with its own keyring, as deployed."""

    def __init__(self, port: int, gnupg_home: str):
        db = connection.settings_dict
        host, db_port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{host}:{db_port}/{db['NAME']}",
            "SMS2EMAIL_GNUPG_HOME": gnupg_home,
            "REDIS_URL": workers.BROKER_URL,
            "LOG_LEVEL": "INFO",
        }
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "smtpd",
                "--port",
                str(port),
                "--workers",
                str(CONNECTIONS),
                "--processes",
                str(PROCESSES),
            ],
            env=environment,
            start_new_session=True,
            stdout=self.log,
            stderr=self.log,
        )
        _wait_for_smtp(port)

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def prepare(service) -> None:
    row, _ = Sms2EmailSettings.objects.get_or_create(service=service)
    row.enabled = True
    row.password_sealed = sealed.seal(PASSWORD)
    row.save()
    set_authorised(row, SENDER)


def plain_mail(i: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = box_address()
    message["Subject"] = f"Bench {i}"
    message["Message-ID"] = make_msgid(domain="bench.example.com")
    message.set_content(f"{PASSWORD}\n48{600000000 + i % 1000}\n---\nBench mail {i}\nEND\n")
    return message


def send_all(port: int, mails: list[bytes]) -> tuple[float, int]:
    """(seconds, mails answered 250) for ``mails`` over CONNECTIONS sessions."""
    chunks = [mails[i::CONNECTIONS] for i in range(CONNECTIONS)]
    accepted = [0] * CONNECTIONS
    start = threading.Barrier(CONNECTIONS + 1)

    def session(index: int):
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo()
            start.wait()
            for raw in chunks[index]:
                if not client.sendmail(SENDER, [box_address()], raw):
                    accepted[index] += 1

    threads = [threading.Thread(target=session, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, sum(accepted)


def run(command, count: int, rounds: int) -> None:
    prepare(command.service)
    workers.forget_earlier_work()
    workers.simulator()
    floor, reports = Sink(), Sink()
    cluster = workers.Cluster(
        REDIS_URL=workers.fresh_broker(),
        LOG_LEVEL="INFO",
        EMAIL_URL=f"smtp://127.0.0.1:{reports.port}",
        # The bench sends thousands of mails for one service in minutes.
        SMS2EMAIL_MAIL_PER_HOUR=10**9,
    )
    try:
        with tempfile.TemporaryDirectory() as home:
            listener = Listener(_free_port(), home)
            try:
                _plain(command, listener, floor, cluster, count, rounds)
                _pgp(command, listener, home, count, rounds)
            finally:
                listener.stop()
                with _gnupg_home(home):
                    from mailbridge import pgp

                    pgp.stop_agent()  # this process decrypted too (the floor)
    finally:
        cluster.stop()
        floor.stop()
        reports.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sent_since(first_id: int) -> int:
    return InboundMail.objects.filter(id__gt=first_id, outcome=Outcome.SENT).count()


def _last_id() -> int:
    return InboundMail.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _plain(command, listener, floor, cluster, count, rounds):
    command.out(
        f"P4  mails through smtpd ({PROCESSES} processes, {CONNECTIONS} connections, "
        "1 recipient, password mode) as deployed: qcluster running, reports by mail on, "
        f"LOG_LEVEL=INFO; {count} a round, against a no-op SMTP server (aiosmtpd Sink)\n"
    )
    rates, ratios = [], []
    for round_ in range(1, rounds + 1):
        mails = [plain_mail(i).as_bytes() for i in range(count)]
        floor_seconds, _ = send_all(floor.port, mails)
        before, reported = _last_id(), _last_report_id()
        seconds, accepted = send_all(listener.port, mails)
        ended = time.perf_counter()
        stored = InboundMail.objects.filter(id__gt=before, outcome=Outcome.SENT)
        try:
            workers.wait_for(
                lambda stored=stored, reported=reported: _all_final_and_reported(stored, reported),
                120,
            )
        except TimeoutError as exc:
            raise RuntimeError(f"P4: {exc}; the qcluster's log ends:\n{cluster.tail()}") from exc
        tail = time.perf_counter() - ended
        rate, no_op = accepted / seconds, count / floor_seconds
        rates.append(rate)
        ratios.append(rate / no_op)
        command.out(
            f"    round {round_}: {rate:.0f} mails/s ({accepted} answered 250, "
            f"{stored.count()} became messages), no-op server {no_op:.0f} mails/s, ratio "
            f"{rate / no_op:.2f}; every SMS final and its report mailed {tail:.1f} s after "
            "the end\n"
        )
    command.out(
        f"    median {statistics.median(rates):.0f} mails/s (goal >= 300), median ratio "
        f"{statistics.median(ratios):.2f} (goal >= 0.3), reports within 10 s\n"
    )


def _last_report_id() -> int:
    return OutboundMail.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _all_final_and_reported(stored, reported_after: int) -> bool:
    """Every stored mail's recipients final, and a report mailed for each of them."""
    if Recipient.objects.filter(
        message_id__in=stored.values("message_id"), status__in=workers.OPEN
    ).exists():
        return False
    sent = OutboundMail.objects.filter(
        id__gt=reported_after, kind=OutboundKind.REPORT, state=ReplyState.SENT
    ).count()
    return sent >= stored.count()


def _pgp(command, listener, home, count, rounds):
    from mailbridge import pgp

    fingerprint = _platform_key(home)  # the listener made it on start; this reads it
    with tempfile.TemporaryDirectory() as client_home:
        client = _client(client_home, home)
        plain = [plain_mail(i) for i in range(count)]
        encrypted = [_encrypt_inline(client, fingerprint, m) for m in plain]
        armours = [m.get_content().encode() for m in encrypted]
        command.out(f"P4  the same mails encrypted inline to the platform key, {count} a round\n")
        ratios, strict = [], []
        for round_ in range(1, rounds + 1):
            with _gnupg_home(home):
                # The goal's floor: mailbridge.pgp decrypting the mails in a loop. And a
                # stricter one beside it: decrypting them as concurrently as smtpd does.
                loop = count / _decrypt_all(pgp, armours, concurrency=1)
                concurrent = count / _decrypt_all(pgp, armours, concurrency=CONNECTIONS)
            mails = [_fresh_id(m).as_bytes() for m in encrypted]
            before = _last_id()
            seconds, accepted = send_all(listener.port, mails)
            stored = _sent_since(before)
            rate = accepted / seconds
            ratios.append(rate / loop)
            strict.append(rate / concurrent)
            command.out(
                f"    round {round_}: smtpd {rate:.0f} mails/s ({stored} became messages); "
                f"decrypt in a loop {loop:.0f}/s, ratio {rate / loop:.2f}; decrypt with "
                f"{CONNECTIONS} threads {concurrent:.0f}/s, ratio {rate / concurrent:.2f}\n"
            )
        ratios.sort()
        strict.sort()
        command.out(
            f"    median ratio {ratios[len(ratios) // 2]:.2f} to the loop (goal >= 0.8), "
            f"{strict[len(strict) // 2]:.2f} to {CONNECTIONS} threads\n"
        )


def _platform_key(home: str) -> str:
    with _gnupg_home(home):
        from mailbridge import pgp

        return pgp.ensure_key()


class _gnupg_home:
    """SMS2EMAIL_GNUPG_HOME for this process, as the listener has it."""

    def __init__(self, home: str):
        self.home = home

    def __enter__(self):
        self.previous = settings.SMS2EMAIL_GNUPG_HOME
        settings.SMS2EMAIL_GNUPG_HOME = self.home

    def __exit__(self, *exc):
        settings.SMS2EMAIL_GNUPG_HOME = self.previous


def _client(client_home: str, home: str):
    """A customer's keyring holding the platform's public key, as a mail client has it."""
    import gnupg

    with _gnupg_home(home):
        from mailbridge import pgp

        public = pgp.public_key()
    client = gnupg.GPG(gnupghome=client_home)
    client.encoding = "utf-8"
    client.import_keys(public)
    return client


def _encrypt_inline(client, fingerprint: str, message: EmailMessage) -> EmailMessage:
    armour = str(client.encrypt(message.get_content(), fingerprint, always_trust=True))
    encrypted = EmailMessage()
    for name in ("From", "To", "Subject"):
        encrypted[name] = message[name]
    encrypted.set_content(armour)
    return encrypted


def _fresh_id(message: EmailMessage) -> EmailMessage:
    del message["Message-ID"]
    message["Message-ID"] = make_msgid(domain="bench.example.com")
    return message


def _decrypt_all(pgp, armours: list[bytes], concurrency: int) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(pgp.decrypt, armours))
    seconds = time.perf_counter() - began
    if any(result is None for result in results):
        raise RuntimeError("the floor could not decrypt the bench mails")
    return seconds
