"""Run the whole platform locally: web server, worker and Sms2Email SMTP listener,
with the demo account.

Migrates, seeds the demo account, starts the web server, a django-q2 worker
and ``smtpd`` as child processes, prints where to sign in and how to send by
API and by mail, and stops them all on Ctrl-C (or when one of them dies).
"""

import json
import signal
import socket
import subprocess
import sys
import time
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from mailbridge import pgp


class Command(BaseCommand):
    help = "Migrate, seed the demo account and run web server, worker and SMTP until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="do not start qcluster")
        parser.add_argument(
            "--smtp-port", type=int, default=2525, help="the Sms2Email listener's port"
        )

    def handle(self, *args, host, port, no_worker, smtp_port, **options):
        if _port_in_use(host, port):
            raise CommandError(f"{host}:{port} is already in use; pass --port to pick another.")
        if _port_in_use(host, smtp_port):
            raise CommandError(
                f"{host}:{smtp_port} is already in use; pass --smtp-port to pick another."
            )
        call_command("migrate", interactive=False, verbosity=0)
        out = StringIO()
        call_command("seed_demo", json=True, stdout=out)  # gives the routes the simulator too
        demo = json.loads(out.getvalue())

        manage = str(settings.BASE_DIR / "manage.py")
        commands = {"web": [sys.executable, manage, "runserver", f"{host}:{port}", "--noreload"]}
        if not no_worker:
            commands["worker"] = [sys.executable, manage, "qcluster"]
        commands["smtp"] = [
            sys.executable,
            manage,
            "smtpd",
            "--host",
            host,
            "--port",
            str(smtp_port),
        ]
        children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603

        stop = False

        def on_signal(signum, frame):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            self._wait_for(host, port, children["web"])
            self._wait_for(host, smtp_port, children["smtp"])
            self._banner(host, port, smtp_port, demo, sorted(children))
            while not stop:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with code {child.returncode}; stopping.")
                        stop = True
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            # The listener stops the keyring's gpg-agent as it exits; a child that had to
            # be killed could not.
            pgp.stop_agent()

    def _wait_for(self, host, port, child):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if child.poll() is not None:
                raise CommandError(f"{' '.join(child.args[2:3])} did not start")
            if _port_in_use(host, port):
                return
            time.sleep(0.2)
        raise CommandError(f"nothing listened on {host}:{port} within 60 s")

    def _banner(self, host, port, smtp_port, demo, running):
        url = f"http://{host}:{port}/"
        lines = [
            "",
            f"SMS panel is running ({', '.join(running)}); Ctrl-C stops everything.",
            f"  Panel:        {url}",
            f"  Sign in as:   {demo['panel_username']} / {demo['panel_password']}",
            f"  Admin:        {url}admin/  as {demo['admin_username']} / {demo['admin_password']}",
            f"  API user:     {demo['api_username']} / {demo['api_password']}",
            f"  SMS hash:     {demo['sms_hash']}",
            f"  API docs:     {url}docs/api/",
            f"  Try a send:   curl {url}sms_api/gateway/ -d username={demo['api_username']} "
            f"-d password={demo['api_password']} -d to_list=601345345 -d message=Test",
            f"  SMSC API:     curl '{url}sys/send.php?login={demo['smsc_login']}"
            f"&psw={demo['smsc_password']}&phones=601345345&mes=Test&fmt=3&charset=utf-8'",
            f"  Sms2Email:    mail {demo['sms2email_address']} from {demo['sms2email_sender']} "
            f"through smtp://{host}:{smtp_port}; password {demo['sms2email_password']}",
            f"  Try a mail:   printf 'From: {demo['sms2email_sender']}\\nSubject: Test\\n\\n"
            f"{demo['sms2email_password']}\\n601345345\\n---\\nTest\\nEND\\n' | curl -sT - "
            f"smtp://{host}:{smtp_port} --mail-from {demo['sms2email_sender']} "
            f"--mail-rcpt {demo['sms2email_address']}",
            "  Gateway:      the simulator; numbers ending 000 are REJECTED, 999 EXPIRED,",
            "                998 REMOTE_ERROR, others DELIVERED a second after sending",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
