"""The load driver's pieces (bench/load.py): the mix, the percentiles, its HTTP and SMTP
clients, and a short run against the test server."""

import asyncio
import concurrent.futures
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from bench import load
from bench.web import free_port
from messaging.models import Recipient
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: once a browser test has run, Playwright's
    sync API keeps an event loop running in the main thread for the rest of the session."""
    return _pool.submit(asyncio.run, coroutine).result()


def test_every_full_deck_holds_the_mix_exactly():
    deck = load.Deck(load.MIX, random.Random(1))
    size = sum(load.MIX.values())
    for _ in range(3):
        assert Counter(deck.draw() for _ in range(size)) == Counter(load.MIX)


def test_the_deck_is_shuffled_anew_each_time_it_runs_out():
    deck = load.Deck(load.MIX, random.Random(1))
    size = sum(load.MIX.values())
    first, second = ([deck.draw() for _ in range(size)] for _ in range(2))
    assert first != second
    assert first[:20] != ["send"] * 20  # not laid out in order


def test_the_mix_is_the_issues_within_the_api():
    api = {kind: load.MIX[kind] for kind in ("send", "progress", "bulk", "validate")}
    total = sum(api.values())
    assert [weight * 100 / total for weight in api.values()] == [80, 10, 5, 5]


def test_percentile_is_the_nearest_rank():
    values = [float(n) for n in range(100, 0, -1)]  # 100 … 1, unsorted
    assert load.percentile(values, 50) == 50
    assert load.percentile(values, 99) == 99
    assert load.percentile(values, 100) == 100
    assert load.percentile([7.0], 99) == 7
    assert load.percentile([1.0, 2.0, 3.0, 1000.0], 50) == 2
    assert load.percentile([1.0, 2.0, 3.0, 1000.0], 99) == 1000
    assert math.isnan(load.percentile([], 50))


def test_tally_counts_errors_and_keeps_a_few_samples():
    tally = load.Tally()
    tally.ok("send", 0.010)
    tally.ok("send", 0.030)
    for n in range(5):
        tally.error("mail", 0.5, f"SMTP 451: try again {n}")
    rows = {row[0]: row for row in tally.rows(elapsed=2.0)}
    assert rows["gateway/ 1 recipient"] == ("gateway/ 1 recipient", 2, 0, 1.0, 10.0, 30.0)
    assert rows["SMTP mail"][1:3] == (5, 5)
    assert rows["overall"][1:4] == (7, 5, 3.5)
    assert tally.kinds["mail"].samples == [f"SMTP 451: try again {n}" for n in range(3)]


def test_parse_response_reads_a_plain_and_a_chunked_body():
    plain = b'HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{"error":"OK"}\n'
    assert load.parse_response(plain) == (200, b'{"error":"OK"}\n')
    chunked = (
        b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n"
    )
    assert load.parse_response(chunked) == (503, b"hello world")


class _Inbox:
    def __init__(self, answer: str):
        self.answer = answer
        self.mails = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's API
        self.mails.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return self.answer


@pytest.mark.parametrize("answer", ["250 OK", "550 5.7.1 refused"])
def test_smtp_send_delivers_the_mail_whole_and_returns_the_final_reply(answer):
    inbox = _Inbox(answer)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        raw = b"Subject: Bench\n\nline one\n.starts with a dot\n.\nlast\n"
        code, text = _run(load.smtp_send(port, "a@b.pl", "box@c.pl", raw))
    finally:
        controller.stop()
    assert (code, text) == (int(answer[:3]), answer)
    sender, recipients, content = inbox.mails[0]
    assert (sender, recipients) == ("a@b.pl", ["box@c.pl"])
    assert content == raw.replace(b"\n", b"\r\n")


# Every kind the web answers, each once in every deck of five.
WEB_MIX = {"send": 1, "progress": 1, "bulk": 1, "validate": 1, "status": 1}


def _driver(live_server, password=SEED_PASSWORD, mix=WEB_MIX) -> load.Driver:
    port = urlsplit(live_server.url).port
    credentials = {"username": SEED_USERNAME, "password": password}
    return load.Driver(port, 0, credentials, mix=mix)


@pytest.mark.django_db(transaction=True)
def test_a_short_run_against_the_test_server_has_no_errors(live_server, api_service):
    api_service.balance = 10**6
    api_service.save()
    driver = _driver(live_server)
    _run(driver.seed(3))
    # One client: the test server shares one SQLite connection between its threads. Two
    # decks at least (each holds every kind once), however slow the machine is today.
    deadline = time.monotonic() + 60
    while sum(len(entry.seconds) for entry in driver.tally.kinds.values()) < 2 * len(WEB_MIX):
        assert time.monotonic() < deadline
        assert _run(driver.run(0.5, clients=1)) >= 0.5
    counts = {kind: len(entry.seconds) for kind, entry in driver.tally.kinds.items()}
    errors = {kind: entry.samples for kind, entry in driver.tally.kinds.items() if entry.errors}
    assert errors == {}
    assert all(counts[kind] >= 1 for kind in WEB_MIX), counts
    # What the clients were told was accepted is in the database, recipient for recipient.
    made = Recipient.objects.filter(message_id__in=driver.messages[3:]).count()
    assert made == driver.accepted_recipients == counts["send"] + load.BULK * counts["bulk"]


@pytest.mark.django_db(transaction=True)
def test_a_refused_request_is_an_error_with_its_answer_as_the_sample(live_server, api_service):
    driver = _driver(live_server, password="wrong", mix={"validate": 1})
    _run(driver.run(0.3, clients=1))
    entry = driver.tally.kinds["validate"]
    assert entry.errors == len(entry.seconds) > 0
    assert entry.samples[0].startswith("LOGIN_INCORRECT")


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
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    assert backend in load.postgres_backends(connection.settings_dict["NAME"])
    assert backend not in load.postgres_backends(connection.settings_dict["NAME"] + "_other")
