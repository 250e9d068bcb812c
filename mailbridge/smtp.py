"""The SMTP door (``manage.py smtpd``): aiosmtpd, in front of mailbridge.intake.

Only addresses of ours are taken, at RCPT time (550 for anything else: never
an open relay), and no more of them than the sender may send to in one mail
(452 past ``recipient_limit``); a mail over ``SMS2EMAIL_MAX_BYTES`` gets 552.
The database and gnupg work runs in a thread pool, off the event loop, so one
slow mail does not hold up the other sessions. A mail is answered 250 once it is handled
(sent, refused with a reply, or dropped) and 451 when it could not be handled
now, so the sending server tries again. Stopping (SIGTERM) closes the socket,
then waits for the sessions in flight to finish, up to ``GRACE_SECONDS``, and
stops the keyring's gpg-agent (mailbridge.pgp).
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections

from . import intake, parse, pgp
from .senders import normalise_address, settings_for

logger = logging.getLogger(__name__)

GRACE_SECONDS = 30.0


# RCPT TO a mail takes: its sender's "Maks. ilość numerów w mailu", at most
# MAX_RECIPIENTS; a sender no service authorises (its mail is dropped) UNKNOWN_RECIPIENTS.
MAX_RECIPIENTS = 100
UNKNOWN_RECIPIENTS = 10


def recipient_limit(mail_from: str) -> int:
    """How many RCPT TO a mail from the envelope sender ``mail_from`` takes; past it,
    452 (RFC 5321 §4.5.3.1.10): the client sends those in a later transaction, and
    intake counts the numbers of all of them against the same limit."""
    close_old_connections()
    try:
        found = settings_for(normalise_address(mail_from))
    except Exception:  # the database is away: DATA answers 451 (retry), never a 5xx here
        logger.warning("sms2email: the RCPT limit of %r could not be read", mail_from)
        return UNKNOWN_RECIPIENTS
    return min(found.max_numbers, MAX_RECIPIENTS) if found else UNKNOWN_RECIPIENTS


def _handle_in_thread(raw: bytes, mail_from: str, recipients: list[str]) -> None:
    close_old_connections()
    try:
        intake.handle(raw, envelope_sender=mail_from, recipients=recipients)
    finally:
        close_old_connections()


class Handler:
    def __init__(self, executor: ThreadPoolExecutor, lookups: ThreadPoolExecutor):
        self.executor = executor  # handling mail (DATA)
        self.lookups = lookups  # the RCPT limit: never queued behind mail being handled

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if parse.parse_address(address, settings.SMS2EMAIL_DOMAIN) is None:
            return "550 5.7.1 Relaying denied: not an address of this service"
        # Read once per sender and connection: a connection sends mail after mail.
        limits = session.__dict__.setdefault("sms2email_limits", {})
        mail_from = envelope.mail_from or ""
        if mail_from not in limits:
            loop = asyncio.get_running_loop()
            limits[mail_from] = await loop.run_in_executor(self.lookups, recipient_limit, mail_from)
        limit = limits[mail_from]
        if len(envelope.rcpt_tos) >= limit:
            return "452 4.5.3 Too many recipients: send the rest in another mail"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self.executor, _handle_in_thread, raw, envelope.mail_from or "", envelope.rcpt_tos
            )
        except intake.TryLater:
            return "451 4.3.0 Temporarily unable to handle the mail, try again later"
        except Exception:
            logger.exception("sms2email: a mail could not be handled")
            return "451 4.3.0 Temporarily unable to handle the mail, try again later"
        return "250 OK"


class Listener:
    """One listening socket and its sessions; ``serve`` runs until ``stop`` is set."""

    def __init__(self, host: str, port: int, workers: int = 8, reuse_port: bool = False):
        # reuse_port: several listener processes share the port (the kernel spreads
        # connections over them), so a busy listener uses more than one core.
        self.reuse_port = reuse_port
        self.host, self.port = host, port
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="smtpd")
        self.lookups = ThreadPoolExecutor(max_workers=2, thread_name_prefix="smtpd-rcpt")
        self.handler = Handler(self.executor, self.lookups)
        self.sessions: set = set()
        self.ready = threading.Event()

    def _protocol(self):
        listener = self

        class Session(SMTP):
            def connection_made(self, transport):
                listener.sessions.add(self)
                super().connection_made(transport)

            def connection_lost(self, exc):
                listener.sessions.discard(self)
                super().connection_lost(exc)

        return Session(
            self.handler,
            data_size_limit=settings.SMS2EMAIL_MAX_BYTES,
            hostname=settings.SMS2EMAIL_DOMAIN,
            ident="Sms2Email",
        )

    async def serve(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        # The platform PGP key, made on the first start if the keyring has none.
        await loop.run_in_executor(self.executor, pgp.ensure_key)
        server = await loop.create_server(
            self._protocol, host=self.host, port=self.port, reuse_port=self.reuse_port or None
        )
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        logger.info("sms2email: listening on %s:%s", self.host, self.port)
        await stop.wait()
        server.close()
        deadline = loop.time() + GRACE_SECONDS
        while self.sessions and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await loop.run_in_executor(None, self.executor.shutdown, True)
        await loop.run_in_executor(None, self.lookups.shutdown, True)
        await loop.run_in_executor(None, pgp.stop_agent)


class Running:
    """A Listener serving from a thread of its own (tests, and anything embedding it)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, workers: int = 8):
        self.listener = Listener(host, port, workers)
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="smtpd-loop", daemon=True)

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.listener.serve(self._stop))

    def __enter__(self) -> "Running":
        self._thread.start()
        if not self.listener.ready.wait(10):
            raise RuntimeError("the SMTP listener did not start")
        return self

    @property
    def port(self) -> int:
        return self.listener.port

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(GRACE_SECONDS + 5)
