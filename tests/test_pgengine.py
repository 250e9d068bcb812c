"""The PostgreSQL backend's health check (lib/pgengine): a connection the server has
closed is still found and replaced before a request's first query, without the round
trip Django's check pays on every request."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def kept():
    """A second connection, as a web process keeps one between requests."""
    other = connections.create_connection("default")
    other.ensure_connection()
    yield other
    other.close()


def new_request(wrapper):
    # What Django does at each request's start (close_old_connections).
    wrapper.close_if_unusable_or_obsolete()


def test_the_engine_is_ours_and_checks_health():
    assert connection.settings_dict["ENGINE"] == "lib.pgengine"
    assert connection.health_check_enabled


def test_a_connection_the_server_closed_is_replaced_before_the_first_query(kept):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not kept.socket_has_news() and time.monotonic() < deadline:
        time.sleep(0.01)
    new_request(kept)
    with kept.cursor() as cursor:  # no error: a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_healthy_connection_pays_no_round_trip(kept, monkeypatch):
    checks = []
    monkeypatch.setattr(kept, "is_usable", lambda: checks.append(1) or True)
    for _ in range(3):
        new_request(kept)
        with kept.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert checks == []


def test_a_connection_not_checked_for_a_while_is_checked_in_full(kept, monkeypatch, settings):
    checks = []
    monkeypatch.setattr(kept, "is_usable", lambda: checks.append(1) or True)
    settings.DB_FULL_CHECK_SECONDS = 0
    new_request(kept)
    with kept.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert checks == [1]


def test_a_statement_run_often_is_prepared_on_the_server():
    with connection.cursor() as cursor:
        for n in range(6):  # prepared at the fifth run
            cursor.execute("SELECT %s::int + 4141", [n])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%+ 4141%"]
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize(("value", "prepared"), [("", True), ("false", False)])
def test_prepared_statements_can_be_switched_off_for_a_pooler(value, prepared):
    environment = {**os.environ, "DB_PREPARED_STATEMENTS": value}
    if not value:
        environment.pop("DB_PREPARED_STATEMENTS")
    shown = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ("'server_side_binding': True" in shown) is prepared
    assert ("'prepare_threshold': 5" in shown) is prepared
