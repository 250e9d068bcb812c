"""``make run`` (``manage.py rundemo``) on a new SQLite database delivers a demo send.

The banner's API credentials are used as a new user would: a send through
``gateway/`` reaches DELIVERED through the worker and the simulator; the
banner's mail command sends through the SMTP listener to DELIVERED too; and
Ctrl-C (SIGINT) stops web server, worker and listener.
"""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.workers import free_port, no_gpg_agent_left

ROOT = Path(__file__).resolve().parents[2]


def post(url: str, **fields) -> dict:
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, body, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def read_banner(process, timeout=90.0) -> str:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Gateway:" in line:
            return "".join(lines)
    raise AssertionError("no banner: " + "".join(lines))


def test_make_run_delivers_a_demo_send_on_a_new_database():
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")},
            "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
            "SMS2EMAIL_GNUPG_HOME": f"{folder}/gnupg",
            "DEBUG": "1",
            "LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "rundemo",
                "--port",
                str(port),
                "--smtp-port",
                str(free_port()),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            banner = read_banner(process)
            username, password = re.search(r"API user:\s+(\S+) / (\S+)", banner).groups()
            base = f"http://127.0.0.1:{port}/sms_api/"
            credentials = {"username": username, "password": password}
            sent = post(base + "gateway/", to_list="601345345", message="Test", **credentials)
            assert sent["error"] == "OK", sent
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                progress = post(f"{base}getProgress/{sent['message_id']}/", **credentials)
                if progress["success_count"] == 1:
                    break
                time.sleep(0.5)
            assert progress["recipient_list"][0]["status"] == "DELIVERED", progress

            # The banner's SMSC command, as printed, sends through send.php.
            command = re.search(r"SMSC API:\s+(.+)", banner).group(1)
            shell = ["bash", "-c", command + " -s"]
            answer = subprocess.run(shell, check=True, timeout=30, capture_output=True)  # noqa: S603, S607
            smsc = json.loads(answer.stdout)
            assert smsc["cnt"] == 1 and smsc["id"] > sent["message_id"], smsc

            # The banner's mail command, as printed, sends through the SMTP listener.
            command = re.search(r"Try a mail:\s+(.+)", banner).group(1)
            subprocess.run(["bash", "-c", command], check=True, timeout=30)  # noqa: S603, S607
            database = sqlite3.connect(f"{folder}/demo.sqlite3")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                by_mail = database.execute(
                    "SELECT m.text, r.number, r.status FROM messaging_message m"
                    " JOIN messaging_recipient r ON r.message_id = m.id WHERE m.source = 'email'"
                ).fetchall()
                if by_mail and by_mail[0][2] == "DELIVERED":
                    break
                time.sleep(0.5)
            database.close()
            assert by_mail == [("Test", "48601345345", "DELIVERED")]
            process.send_signal(signal.SIGINT)  # Ctrl-C
            assert process.wait(timeout=20) == 0
            assert no_gpg_agent_left(Path(folder) / "gnupg")
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
