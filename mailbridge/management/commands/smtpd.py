"""``manage.py smtpd --host H --port P``: the Sms2Email SMTP listener (mailbridge.smtp).

With ``--processes N`` it runs N listener processes on the same port
(SO_REUSEPORT), each with its own thread pool, and passes SIGTERM on to them:
Python runs one thread at a time, so one process uses about one core.
"""

import argparse
import asyncio
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailbridge.smtp import Listener


class Command(BaseCommand):
    help = "Take mail for the Sms2Email addresses over SMTP and turn it into SMS."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--workers", type=int, default=8, help="mails handled at once")
        parser.add_argument(
            "--processes", type=int, default=1, help="listener processes sharing the port"
        )
        parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1")
        if options["processes"] > 1:
            return self._supervise(options)
        listener = Listener(
            options["host"], options["port"], options["workers"], options["reuse_port"]
        )

        async def main():
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            serving = asyncio.create_task(listener.serve(stop))
            while not listener.ready.is_set() and not serving.done():
                await asyncio.sleep(0.01)
            if listener.ready.is_set():
                self.stdout.write(f"Sms2Email SMTP listener on {listener.host}:{listener.port}")
                self.stdout.flush()
            await serving

        asyncio.run(main())

    def _supervise(self, options):
        command = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "smtpd",
            "--host", options["host"],
            "--port", str(options["port"]),
            "--workers", str(options["workers"]),
            "--reuse-port",
        ]  # fmt: skip
        children = [subprocess.Popen(command) for _ in range(options["processes"])]  # noqa: S603

        stopping = False

        def forward(signum, frame):
            nonlocal stopping
            stopping = True
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        codes = [child.wait() for child in children]
        # A child still starting when we stopped it dies of the signal itself; it
        # had taken no mail yet, so that is a clean stop too.
        failed = [c for c in codes if c and not (stopping and c == -signal.SIGTERM)]
        if failed:
            raise CommandError(f"listener processes exited with {codes}")
