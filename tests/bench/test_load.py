"""LOAD (bench/load.py, bench/mix.py, bench/locustfile.py): the mix, what counts as
success, reading locust's stats, a short locust run against the test server, and the
CPU accounting."""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from bench import load
from bench.mix import BULK, LABELS, MIX, Deck, api_answer, status_problem
from bench.web import free_port
from messaging.models import Recipient
from tests.conftest import SEED_PASSWORD, SEED_USERNAME


def test_every_full_deck_holds_the_mix_exactly():
    deck = Deck(MIX, random.Random(1))
    size = sum(MIX.values())
    for _ in range(3):
        assert Counter(deck.draw() for _ in range(size)) == Counter(MIX)


def test_the_deck_is_shuffled_anew_each_time_it_runs_out():
    deck = Deck(MIX, random.Random(1))
    size = sum(MIX.values())
    first, second = ([deck.draw() for _ in range(size)] for _ in range(2))
    assert first != second
    assert first[:20] != ["send"] * 20  # not laid out in order


def test_the_mix_is_the_issues_within_the_api():
    api = {kind: MIX[kind] for kind in ("send", "progress", "bulk", "validate")}
    total = sum(api.values())
    assert [weight * 100 / total for weight in api.values()] == [80, 10, 5, 5]


def test_only_http_200_with_error_ok_is_an_api_success():
    assert api_answer(200, b'{"error":"OK","message_id":7}') == {"error": "OK", "message_id": 7}
    refused = b'{"error":"LOGIN_INCORRECT","error_description":"Bad login"}'
    assert api_answer(200, refused) == "LOGIN_INCORRECT: Bad login"
    assert api_answer(503, b'{"error":"SERVICE_UNAVAILABLE"}').startswith("HTTP 503: ")
    assert api_answer(200, b"<html>").startswith("not JSON: ")
    assert api_answer(200, b"[]").startswith("not an object: ")


def test_only_a_status_without_an_error_is_a_status_php_success():
    assert status_problem(200, b'{"status":1,"last_date":"07.12.2026 10:00:00"}') is None
    assert status_problem(200, b'{"error":"duplicate request, wait a minute","error_code":9}')
    assert status_problem(200, b'{"status":-3}')  # "not found"
    assert status_problem(500, b"")


def test_parse_response_reads_a_plain_and_a_chunked_body():
    plain = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"error":"OK"}\n'
    assert load.parse_response(plain) == (200, b'{"error":"OK"}\n')
    chunked = (
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
    )
    assert load.parse_response(chunked) == (503, b"hello world")


def _stats_row(kind, name, count, failures, rate, p50, p99):
    return {
        "Type": kind,
        "Name": name,
        "Request Count": str(count),
        "Failure Count": str(failures),
        "Requests/s": str(rate),
        "50%": str(p50),
        "99%": str(p99),
    }


def test_figures_are_read_from_locusts_stats_by_kind_then_overall():
    rows = [
        _stats_row("POST", "gateway/ 1 recipient", 144, 0, 2.4, 530, 910),
        _stats_row("GET", "status.php", 10, 1, 0.2, 540, 900),
        _stats_row("SMTP", "SMTP mail", 10, 0, 0.2, 90, 250),
        _stats_row("", "Aggregated", 164, 1, 2.8, 520, 900),
    ]
    table = {row[0]: row for row in load.figures(rows)}
    assert list(table) == [*LABELS.values(), "overall"]
    assert table["gateway/ 1 recipient"] == ("gateway/ 1 recipient", 144, 0, 2.4, 530, 910)
    assert table["status.php"][1:3] == (10, 1)
    assert table["overall"] == ("overall", 164, 1, 2.8, 520, 900)
    assert table["getProgress"][1:3] == (0, 0)  # never asked: a row of nothing


class _Inbox:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.mails.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _locust(folder, live_server, seconds, users, mix, password=SEED_PASSWORD, **config):
    seeded = load.seed_messages(
        urlsplit(live_server.url).port, {"username": SEED_USERNAME, "password": SEED_PASSWORD}, 3
    )
    run = load.Locust(
        folder,
        live_server.url,
        users,
        seconds,
        username=SEED_USERNAME,
        password=password,
        seeded=json.dumps(seeded),
        mix=json.dumps(mix),
        seed=1,
        **config,
    )
    run.wait(timeout=120)
    return run, seeded


@pytest.mark.django_db(transaction=True)
def test_a_short_locust_run_against_the_test_server_has_no_errors(live_server, api_service):
    api_service.balance = 10**6
    api_service.save()
    inbox = _Inbox()
    smtp_port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    # A few users on PostgreSQL; one on SQLite, whose test server shares one connection
    # between its threads.
    users = 4 if connection.vendor == "postgresql" else 1
    try:
        with tempfile.TemporaryDirectory() as folder:
            run, seeded = _locust(
                folder,
                live_server,
                3,
                users,
                mix=dict.fromkeys(MIX, 1),  # every kind once in every deck of six
                smtp_port=smtp_port,
                mail_from="bench@example.com",
                mail_to="box@sms.example.com",
                mail_password="secret",
            )
            table = {row[0]: row for row in load.figures(run.rows())}
            failures, exceptions, told = run.failures(), run.exceptions(), run.accepted()
    finally:
        controller.stop()
    assert failures == [] and exceptions == []
    counts = {label: table[label][1] for label in LABELS.values()}
    assert all(count >= 1 for count in counts.values()), counts
    assert all(table[label][2] == 0 for label in LABELS.values())
    assert table["overall"][1] == sum(counts.values())
    # Each mail arrived whole, and was counted as 250 by the client.
    assert len(inbox.mails) == told["mails_250"] == counts["SMTP mail"], (told, counts)
    sender, recipients, content = inbox.mails[0]
    assert (sender, recipients) == ("bench@example.com", ["box@sms.example.com"])
    assert content.startswith(b"From: bench@example.com") and b"\r\nsecret\r\n" in content
    # What the clients were told was accepted is in the database, recipient for
    # recipient, and nothing else was stored after the seeds.
    sent = counts["gateway/ 1 recipient"] + BULK * counts["gateway/ 1,000"]
    assert told["recipients"] == sent
    assert Recipient.objects.filter(message_id__in=told["messages"]).count() == sent
    last_seed = max(message_id for message_id, _ in seeded)
    assert Recipient.objects.filter(message_id__gt=last_seed).count() == sent


@pytest.mark.django_db(transaction=True)
def test_a_refused_request_is_a_failure_with_its_answer_as_the_sample(live_server, api_service):
    with tempfile.TemporaryDirectory() as folder:
        run, _ = _locust(folder, live_server, 1, 1, mix={"validate": 1}, password="wrong")
        table = {row[0]: row for row in load.figures(run.rows())}
        failures = run.failures()
    assert table["validateContent"][2] == table["validateContent"][1] > 0
    assert {row["Name"] for row in failures} == {"validateContent"}
    assert "LOGIN_INCORRECT" in failures[0]["Error"]


def test_a_locust_run_that_overstays_is_killed_with_everything_under_it():
    with tempfile.TemporaryDirectory() as folder:
        run = load.Locust(
            folder,
            f"http://127.0.0.1:{free_port()}",  # nothing listens: every request fails
            1,
            600,
            username="u",
            password="p",
            mix=json.dumps({"validate": 1}),
        )
        with pytest.raises(subprocess.TimeoutExpired):
            run.wait(timeout=2)
        assert run.process.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(run.process.pid, 0)  # no process of its session is left


def test_cpu_is_counted_for_a_process_and_everything_under_it():
    # A shell whose child burns CPU: the child is found under the shell and charged.
    burn = f"{sys.executable} -c 'while True: pass'"
    shell = subprocess.Popen(["sh", "-c", f"{burn} & wait"])  # noqa: S603, S607
    try:
        deadline = time.monotonic() + 10
        while len(load.descendants(shell.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = load.descendants(shell.pid)
        assert tree[0] == shell.pid and len(tree) == 2
        before = load.process_ticks(tree[1])
        time.sleep(0.5)
        assert load.process_ticks(tree[1]) > before
    finally:
        for pid in reversed(load.descendants(shell.pid)):
            os.kill(pid, signal.SIGKILL)
        shell.wait()
    assert load.process_ticks(shell.pid) == 0  # gone: nothing to read


@pytest.mark.postgres
def test_the_databases_backends_are_found_by_their_title(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    assert backend in load.postgres_backends(connection.settings_dict["NAME"])
    assert backend not in load.postgres_backends(connection.settings_dict["NAME"] + "_other")
