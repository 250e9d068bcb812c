"""Servers of a chaos test's own: a PostgreSQL cluster (``initdb`` into a temporary
folder, its own port) and a ``redis-server`` on its own port, which the test may stop,
kill and start again without touching the machine's shared ones; and the platform's
processes on them (gunicorn, qcluster, smtpd), started as the README deploys them.
"""

import contextlib
import json
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

from tests.workers import BASE_DIR, free_port

PG_BIN = Path("/usr/lib/postgresql")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(PG_BIN.glob("*/bin"), reverse=True)
    if not versions:
        raise RuntimeError(f"{name} not found: install PostgreSQL's server package")
    return str(versions[0] / name)


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
    return ["runuser", "-u", owner, "--", *command] if owner else command


class Postgres:
    """A throwaway PostgreSQL cluster: ``start``, ``stop`` (``fast`` or ``immediate``:
    a crash), ``restart``; ``url`` of its database ``platform``."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            shutil.chown(self.folder, self.owner)
        subprocess.run(  # noqa: S603
            _as_owner(
                [_pg_tool("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust"],
                self.owner,
            ),
            check=True,
            capture_output=True,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.folder}'\nmax_connections = 200\n"
            )
        self.start()
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE platform")

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/platform"

    def _ctl(self, *args: str) -> None:
        subprocess.run(  # noqa: S603
            _as_owner(
                [_pg_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), *args],
                self.owner,
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        self._ctl("-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-w", "-m", mode, "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def query(self, sql: str, params=()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def value(self, sql: str, params=()):
        return self.query(sql, params)[0][0]

    def close(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A throwaway ``redis-server`` (nothing kept on disk) that can be stopped and started
    again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                *(shutil.which("redis-server") or "redis-server", "--port", str(self.port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    close = stop


class Platform:
    """The platform on ``postgres`` (and ``redis`` when given), as the README deploys it:
    migrated, the demo seeded with ``seed_demo --json`` (its credentials in ``demo``),
    and processes started with ``gunicorn``, ``qcluster`` and ``smtpd``. Every process
    runs in its own process group, killed whole at ``close``."""

    def __init__(self, postgres: Postgres, redis: Redis | None = None, balance="100000", **env):
        self.postgres = postgres
        self.environment = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")},
            "DATABASE_URL": postgres.url,
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "SMS2EMAIL_GNUPG_HOME": tempfile.mkdtemp(prefix="chaos-gnupg-"),
            **({"REDIS_URL": redis.url} if redis else {}),
            **{k: str(v) for k, v in env.items()},
        }
        self.processes: list[subprocess.Popen] = []
        self.manage("migrate", "-v0")
        self.demo = json.loads(self.manage("seed_demo", "--json", "--balance", balance))

    def manage(self, *args: str) -> str:
        return subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout

    def _start(self, command: list[str], output=None, **env) -> subprocess.Popen:
        """``output``: a file the process writes its output and log to (else the test's)."""
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=BASE_DIR,
            env={**self.environment, **{k: str(v) for k, v in env.items()}},
            start_new_session=True,
            stdout=output,
            stderr=output,
        )
        self.processes.append(process)
        return process

    def gunicorn(self, workers: int = 2, **env) -> tuple[subprocess.Popen, int]:
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "smspanel.wsgi"]
        process = self._start([*command, "-w", str(workers), "-b", f"127.0.0.1:{port}"], **env)
        wait_for_http(f"http://127.0.0.1:{port}/login/", process)
        return process, port

    def smtpd(self, output=None, **env) -> tuple[subprocess.Popen, int]:
        port = free_port()
        process = self._start(
            [sys.executable, "manage.py", "smtpd", "--host", "127.0.0.1", "--port", str(port)],
            output,
            **env,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=5).quit()
                return process, port
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def qcluster(self, **env) -> subprocess.Popen:
        return self._start([sys.executable, "manage.py", "qcluster"], **env)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process group: the process and everything it started."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)
            else:  # its children may live on in its group
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(self.environment["SMS2EMAIL_GNUPG_HOME"], ignore_errors=True)

    def api(self, port: int, path: str, timeout: float = 30, **fields) -> dict:
        """POST ``fields`` with the demo's API credentials to ``/sms_api/<path>``."""
        credentials = {"username": self.demo["api_username"], "password": self.demo["api_password"]}
        body = urllib.parse.urlencode({**credentials, **fields}).encode()
        url = f"http://127.0.0.1:{port}/sms_api/{path}"
        with urllib.request.urlopen(url, body, timeout=timeout) as answer:  # noqa: S310
            return json.loads(answer.read())


def wait_for_http(url: str, process: subprocess.Popen | None = None, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310
            return
        except OSError:
            if (process and process.poll() is not None) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
