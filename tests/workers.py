"""Real django-q2 workers (``manage.py qcluster``) on the test database, for end-to-end tests."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def start_qcluster(**env) -> subprocess.Popen:
    """``manage.py qcluster`` in its own process group, on the test database, without Redis.

    ``env`` sets settings through the environment (``Q_WORKERS=1``, ...).
    """
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
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
