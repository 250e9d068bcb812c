"""The bench's web server: gunicorn on the bench settings, and what talks to it."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.core.management.base import CommandError

BENCH_CACHE_URL = "redis://127.0.0.1:6379/15"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def multipart(fields: dict[str, str], file_field: str, file_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="numbers.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


class Server:
    """gunicorn with ``workers`` sync workers (2 unless told) on the bench settings."""

    def __init__(self, workers: int = 2, **extra_env):
        self.port = free_port()
        env = {
            **os.environ,
            # Several web processes share one cache in production (README); so here.
            "CACHE_URL": os.environ.get("CACHE_URL", BENCH_CACHE_URL),
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            # As deployed: the product logs at INFO (into a file here, not the figures).
            "LOG_LEVEL": "INFO",
            **{name: str(value) for name, value in extra_env.items()},
        }
        # Kept open as long as the server runs; closed by stop().
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603
            [
                gunicorn,
                "smspanel.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--timeout",
                "300",
            ],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise CommandError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def request(self, method, path, body=b"", content_type=None) -> tuple[float, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        headers = {"Content-Type": content_type} if content_type else {}
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        data = conn.getresponse().read()
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed, data

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()
