"""Two platforms on loopback: instance A dispatches through instance B's send.php and
polls B's status.php with its own smsc driver, so each side of the SMSC protocol is
checked against the other.

B runs in its own processes (web and worker) on a fresh database, seeded with
``seed_demo``; A is this test's database, with a live server for its customer.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from accounts.models import LedgerEntry, LedgerKind
from gateways import dispatch
from gateways.models import Driver, Gateway
from messaging.models import Message, Status
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.workers import free_port, wait_for_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
DELIVERED, REJECTED = "48600100123", "48600100000"  # the simulator rejects …000


def get(url: str, **fields) -> str:
    query = urllib.parse.urlencode(fields)
    with urllib.request.urlopen(f"{url}?{query}", timeout=15) as answer:  # noqa: S310
        assert answer.status == 200
        return answer.read().decode(answer.headers.get_content_charset() or "utf-8")


@pytest.fixture
def instance_b(tmp_path):
    """Another platform: fresh database, demo account, web server and worker."""
    db = connection.settings_dict
    name = f"instance_b_{uuid.uuid4().hex[:10]}"
    admin = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "SIMULATOR_DELAY": "0",
        "SMS2EMAIL_GNUPG_HOME": str(tmp_path / "gnupg"),
        "LOG_LEVEL": "WARNING",
        "Q_WORKERS": "1",
    }

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
    # B's message ids start far from A's recipient ids, so A must keep B's as refs.
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('messaging_message', 'id'), 7000)")
    processes = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        ),
    ]
    try:
        wait_for_port(port)
        yield {"url": f"http://127.0.0.1:{port}/", "demo": demo, "database": env["DATABASE_URL"]}
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def b_statuses(instance_b, message_ids) -> list[str]:
    demo = instance_b["demo"]
    statuses = []
    for message_id in message_ids:
        body = urllib.parse.urlencode(
            {"username": demo["api_username"], "password": demo["api_password"]}
        ).encode()
        url = f"{instance_b['url']}sms_api/getProgress/{message_id}/json/"
        with urllib.request.urlopen(url, body, timeout=15) as answer:  # noqa: S310
            progress = json.loads(answer.read())
        statuses += [r["status"] for r in progress["recipient_list"]]
    return statuses


def test_a_sends_through_b_and_reads_back_its_statuses(live_server, api_service, instance_b):
    demo = instance_b["demo"]
    Gateway.objects.create(
        name="Instance B",
        driver=Driver.SMSC,
        serves_standard=True,
        serves_premium=True,
        settings={
            "url": instance_b["url"],
            "login": demo["smsc_login"],
            "password": demo["smsc_password"],
            "repeats_answered": True,
        },
    )
    # The customer of A sends with A's SMSC API, as an SMSC client would.
    sent = json.loads(
        get(
            f"{live_server.url}/sys/send.php",
            login=SEED_USERNAME,
            psw=SEED_PASSWORD,
            phones=f"{DELIVERED},{REJECTED}",
            mes="Dzień dobry z A",
            fmt=3,
            cost=3,
            charset="utf-8",
        )
    )
    assert sent["cnt"] == 2 and sent["balance"] == "99.86", sent
    message = Message.objects.get(pk=sent["id"])

    # A's dispatcher hands both to B's send.php, which answers with its own ids.
    assert dispatch.dispatch_batch() == 2
    recipients = {r.number: r for r in message.recipients.all()}
    assert {r.status for r in recipients.values()} == {Status.QUEUED}
    b_ids = [int(r.gateway_ref) for r in recipients.values()]
    assert all(b_id > 7000 for b_id in b_ids)

    # B's worker sends them to its simulator, which delivers one and rejects the other.
    deadline = time.monotonic() + 60
    while sorted(b_statuses(instance_b, b_ids)) != ["DELIVERED", "REJECTED"]:
        assert time.monotonic() < deadline, b_statuses(instance_b, b_ids)
        time.sleep(0.5)

    # A polls B's status.php once (one mass request) and applies what it says.
    Gateway.objects.update(polled_at=None)
    assert dispatch.poll_gateways() == 2
    assert dict(message.recipients.values_list("number", "status")) == {
        DELIVERED: Status.DELIVERED,
        REJECTED: Status.REJECTED,
    }

    # The customer reads the statuses back from A's status.php, in SMSC's codes.
    answer = json.loads(
        get(
            f"{live_server.url}/sys/status.php",
            login=SEED_USERNAME,
            psw=SEED_PASSWORD,
            id=f"{message.pk},{message.pk}",
            phone=f"{DELIVERED},{REJECTED}",
            fmt=3,
        )
    )
    assert [(item["phone"], item["status"]) for item in answer] == [
        (DELIVERED, 1),
        (REJECTED, 25),
    ]

    # Money on A: two charged, the rejected one refunded. On B: the same for its demo account.
    refunds = LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.REFUND)
    assert [e.amount for e in refunds] == [Decimal("0.0700")]
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("99.9300")
    balance_b = get(
        f"{instance_b['url']}sys/balance.php",
        login=demo["smsc_login"],
        psw=demo["smsc_password"],
        fmt=1,
    )
    assert Decimal(balance_b) == Decimal(demo["balance"]) - Decimal("0.07")
