"""The bench command's P4: mails a second through ``manage.py smtpd``, end to end.

Each mail goes in over SMTP (8 connections at once, each sending mail after
mail), is authenticated, parsed and handed to the send pipeline, which charges
and stores its message; the figure counts mails answered 250 in the time, and
the database is checked afterwards for as many messages. The PGP run encrypts
the same mails to the platform key, next to floors measured in the same run:
mailbridge.pgp decrypting those mails in a loop (the goal's floor), and with as
many threads as smtpd has connections (a stricter one).
"""

import os
import secrets
import signal
import smtplib
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

from lib import sealed
from mailbridge.models import InboundMail, Outcome, Sms2EmailSettings, box_address
from mailbridge.senders import set_authorised

SENDER = "bench@example.com"
PASSWORD = "bench-" + secrets.token_hex(8)
CONNECTIONS = 8
PROCESSES = 2  # one listener process a core


class Listener:
    """``manage.py smtpd`` on the bench database, with its own keyring."""

    def __init__(self, port: int, gnupg_home: str):
        db = connection.settings_dict
        host, db_port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        environment = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{host}:{db_port}/{db['NAME']}",
            "SMS2EMAIL_GNUPG_HOME": gnupg_home,
            "LOG_LEVEL": "WARNING",
        }
        self.port = port
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
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=2).quit()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the SMTP listener did not start")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


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
    with tempfile.TemporaryDirectory() as home:
        listener = Listener(_free_port(), home)
        try:
            _plain(command, listener, count, rounds)
            _pgp(command, listener, home, count, rounds)
        finally:
            listener.stop()
            with _gnupg_home(home):
                from mailbridge import pgp

                pgp.stop_agent()  # this process decrypted too (the floor)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sent_since(first_id: int) -> int:
    return InboundMail.objects.filter(id__gt=first_id, outcome=Outcome.SENT).count()


def _last_id() -> int:
    return InboundMail.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _plain(command, listener, count, rounds):
    command.out(
        f"P4  mails through smtpd ({PROCESSES} processes, {CONNECTIONS} connections, "
        "1 recipient, password mode), "
        f"{count} a round\n"
    )
    rates = []
    for round_ in range(1, rounds + 1):
        mails = [plain_mail(i).as_bytes() for i in range(count)]
        before = _last_id()
        seconds, accepted = send_all(listener.port, mails)
        stored = _sent_since(before)
        rates.append(accepted / seconds)
        command.out(
            f"    round {round_}: {accepted / seconds:.0f} mails/s ({accepted} answered 250, "
            f"{stored} became messages)\n"
        )
    rates.sort()
    command.out(f"    median {rates[len(rates) // 2]:.0f} mails/s (goal >= 300)\n")


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
