"""Real processes for end-to-end tests: django-q2 workers (``manage.py qcluster``) on the
test database, free loopback ports, an empty Redis database."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def process_database_url() -> str:
    """The test database as a DATABASE_URL, for the processes a test starts (PostgreSQL:
    SQLite's test database lives in the test's own process)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_smtpd(port: int, processes: int = 1, **env) -> subprocess.Popen:
    """``manage.py smtpd`` in its own process group on the test database; ``env`` sets
    settings through the environment (``SMS2EMAIL_GNUPG_HOME=…``)."""
    environment = {
        **os.environ,
        "DATABASE_URL": process_database_url(),
        "LOG_LEVEL": "WARNING",
        **{k: str(v) for k, v in env.items()},
    }
    command = ["smtpd", "--port", str(port), "--processes", str(processes)]
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), *command],
        env=environment,
        cwd=BASE_DIR,
        start_new_session=True,
    )


def start_qcluster(**env) -> subprocess.Popen:
    """``manage.py qcluster`` in its own process group, on the test database, without Redis.

    ``env`` sets settings through the environment (``Q_WORKERS=1``, ...).
    """
    environment = {
        **os.environ,
        "DATABASE_URL": process_database_url(),
        "CALLBACK_ALLOW_PRIVATE": "1",
        "Q_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
        **{k: str(v) for k, v in env.items()},
    }
    environment.pop("REDIS_URL", None)
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(BASE_DIR / "manage.py"), "qcluster"],
        env=environment,
        cwd=BASE_DIR,
        start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the cluster and every process it started: no chance to clean up."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until(condition, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} within {timeout} s")


def empty_redis(db: int) -> str:
    """The URL of local Redis database ``db``, emptied; without Redis the test skips,
    or fails where REQUIRE_REDIS is set (CI)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + f"/{db}"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        message = f"needs Redis at {url} (set TEST_REDIS_URL)"
        if os.environ.get("REQUIRE_REDIS", "") not in ("", "0", "false"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@contextlib.contextmanager
def gunicorn(cache_url: str, *options: str, ready_path: str):
    """``gunicorn smspanel.wsgi`` with 2 workers on the test database and a shared cache at
    ``cache_url`` (the task broker stays the ORM's); yields its port once ``ready_path``
    answers. ``options`` are more gunicorn options (worker class, access log)."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": process_database_url(),
        "CACHE_URL": cache_url,
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("REDIS_URL", None)
    process = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, "-m", "gunicorn", "smspanel.wsgi"),
            *("-w", "2", "-b", f"127.0.0.1:{port}", *options),
        ],
        env=environment,
        cwd=BASE_DIR,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=5).close()  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def gpg_agents(home: Path) -> list[int]:
    """The gpg-agent processes serving the keyring ``home``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone while we looked
            continue
        if argv and argv[0].endswith(b"gpg-agent") and str(home).encode() in argv:
            found.append(int(entry.name))
    return found


def stop_gpg_agent(home: Path) -> None:
    """Stop the gpg-agent of the keyring ``home`` a test used, if one runs."""
    subprocess.run(  # noqa: S603
        ["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],  # noqa: S607
        capture_output=True,
        check=False,
    )


def no_gpg_agent_left(home: Path) -> bool:
    # gpgconf --kill returns once the agent was told; it exits a moment later.
    deadline = time.monotonic() + 5
    while gpg_agents(home) and time.monotonic() < deadline:
        time.sleep(0.1)
    return gpg_agents(home) == []


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
