"""The README's PostgreSQL path, followed literally on a fresh database, delivers a demo send.

migrate, seed_demo --json, collectstatic, gunicorn, qcluster: then a send
through the API reaches DELIVERED, as a new user's first try would.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.workers import empty_redis, free_port, wait_for_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
REDIS_DB = 7  # of the local Redis: emptied by this test


@pytest.fixture
def fresh_database():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    db = connection.settings_dict
    name = f"deploy_{uuid.uuid4().hex[:12]}"
    admin = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_readme_postgresql_path_delivers_a_demo_send(fresh_database):
    redis_url = empty_redis(REDIS_DB)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")},
        "DATABASE_URL": fresh_database,
        "REDIS_URL": redis_url,
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_MANIFEST": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory() as static_root:
        env["STATIC_ROOT"] = static_root

        def manage(*args):
            return subprocess.run(  # noqa: S603
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            ).stdout

        manage("migrate")
        demo = json.loads(manage("seed_demo", "--json"))
        manage("collectstatic", "--noinput")
        processes = [
            subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "smspanel.wsgi",
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{port}",
                ],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            ),
            subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            ),
        ]
        try:
            base = f"http://127.0.0.1:{port}/sms_api/"
            wait_for_port(port)
            credentials = {"username": demo["api_username"], "password": demo["api_password"]}
            sent = post(base + "gateway/", to_list="601345345", message="Test", **credentials)
            assert sent["error"] == "OK", sent
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                progress = post(f"{base}getProgress/{sent['message_id']}/", **credentials)
                if progress["success_count"] == 1:
                    break
                time.sleep(0.5)
            assert progress["recipient_list"][0]["status"] == "DELIVERED", progress
            # The panel's static files are served by whitenoise from collectstatic.
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10)  # noqa: S310
            assert page.status == 200
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def post(url: str, **fields) -> dict:
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, body, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())
