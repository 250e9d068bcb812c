"""``manage.py smtpd --host H --port P``: the Sms2Email SMTP listener (mailbridge.smtp)."""

import asyncio
import signal

from django.core.management.base import BaseCommand

from mailbridge.smtp import Listener


class Command(BaseCommand):
    help = "Take mail for the Sms2Email addresses over SMTP and turn it into SMS."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--workers", type=int, default=8, help="mails handled at once")

    def handle(self, *args, **options):
        listener = Listener(options["host"], options["port"], options["workers"])

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
