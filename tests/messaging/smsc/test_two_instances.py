"""Two platforms on loopback: instance A dispatches through instance B's send.php and
polls B's status.php with its own smsc driver, so each side of the SMSC protocol is
checked against the other.

B is another instance in its own processes (``runserver`` and ``qcluster``) on its
own SQLite file, set up as a deployment would be (``migrate``, ``seed_demo``: the
demo account, the simulator on both routes, 127.0.0.1 allowlisted). A is this
test's database, with pytest-django's live server for its customer and an smsc
gateway pointing at B.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import LedgerEntry, LedgerKind
from gateways import dispatch
from gateways.drivers import driver_for
from gateways.drivers.base import Outgoing
from gateways.models import Driver, Gateway
from messaging.models import Message, Status
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.workers import free_port, wait_for_port, wait_until

# The live server serves A's database from another thread: committed data (on SQLite's
# in-memory test database Django shares the one connection with it). Runs on both.
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
DELIVERED, REJECTED = "48600100123", "48600100000"  # B's simulator rejects …000
TEXT = "Dzień dobry z A, zażółć gęślą jaźń"
PRICE = Decimal("0.07")  # one part to a Polish mobile, on both instances' default tariff
# B's message ids start here, far from any of A's recipient ids: A must keep B's id
# as the recipient's gateway ref (it differs from the id A sent) and poll with it.
B_FIRST_MESSAGE_ID = 50_000_001


def get(url: str, **fields) -> str:
    query = urllib.parse.urlencode(fields)
    with urllib.request.urlopen(f"{url}?{query}", timeout=15) as answer:  # noqa: S310
        assert answer.status == 200
        return answer.read().decode(answer.headers.get_content_charset() or "utf-8")


class InstanceB:
    def __init__(self, url: str, demo: dict, database: Path, server_log: Path):
        self.url, self.demo, self.database = url, demo, database
        self.server_log = server_log

    def requests(self, path: str, at_least: int = 0) -> int:
        """How many POSTs to ``path`` B's web server has logged (one line a request).
        The line is written after the answer, so a busy machine may read the log
        before it: wait (10 s at most) until ``at_least`` are there."""

        def count():
            return self.server_log.read_text().count(f'"POST /{path} ')

        with contextlib.suppress(AssertionError):
            wait_until(lambda: count() >= at_least, timeout=10)
        return count()

    def query(self, sql: str, *params) -> list[tuple]:
        """Read B's own database (its file; the test only reads)."""
        with contextlib.closing(sqlite3.connect(self.database, timeout=20)) as db:
            return db.execute(sql, params).fetchall()

    def statuses(self, message_ids) -> dict[int, str]:
        """B's recipient status of each message, from B's Telecube API (getProgress)."""
        fields = {"username": self.demo["api_username"], "password": self.demo["api_password"]}
        found = {}
        for message_id in message_ids:
            url = f"{self.url}sms_api/getProgress/{message_id}/json/"
            body = urllib.parse.urlencode(fields).encode()
            with urllib.request.urlopen(url, body, timeout=15) as answer:  # noqa: S310
                progress = json.loads(answer.read())
            (recipient,) = progress["recipient_list"]
            found[message_id] = recipient["status"]
        return found


@pytest.fixture
def instance_b(tmp_path):
    """Another platform: its own SQLite file, the demo account, web server and worker."""
    database = tmp_path / "b.sqlite3"
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")},
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "SIMULATOR_DELAY": "0",
        "SMS2EMAIL_GNUPG_HOME": str(tmp_path / "gnupg"),
        "LOG_LEVEL": "WARNING",
        "Q_WORKERS": "1",
    }

    def manage(*args) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stderr[-2000:]}"
        return done.stdout

    manage("migrate", "--verbosity", "0")
    demo = json.loads(manage("seed_demo", "--json"))
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        # The next message B makes gets B_FIRST_MESSAGE_ID (AUTOINCREMENT tables).
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'messaging_message'")
        db.execute(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('messaging_message', ?)",
            (B_FIRST_MESSAGE_ID - 1,),
        )
    commands = [
        ["runserver", f"127.0.0.1:{port}", "--noreload"],
        ["qcluster"],
    ]
    server_log = tmp_path / "b-runserver.log"
    processes = []
    with server_log.open("w") as log:
        try:
            for command, stderr in zip(commands, (log, None), strict=True):
                processes.append(
                    subprocess.Popen(  # noqa: S603
                        [sys.executable, "manage.py", *command],
                        cwd=ROOT,
                        env=env,
                        start_new_session=True,
                        stdout=subprocess.DEVNULL,
                        stderr=stderr,  # runserver logs each request there
                    )
                )
            wait_for_port(port)
            yield InstanceB(f"http://127.0.0.1:{port}/", demo, database, server_log)
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_a_sends_through_b_and_reads_back_its_statuses(live_server, api_service, instance_b):
    demo = instance_b.demo
    gateway = Gateway.objects.create(
        name="Instance B",
        driver=Driver.SMSC,
        serves_standard=True,
        serves_premium=True,
        settings={
            "url": instance_b.url,
            "login": demo["smsc_login"],
            "password": demo["smsc_password"],
            "repeats_answered": True,
        },
    )

    # A's customer sends with A's SMSC API, as an SMSC client would.
    sent = json.loads(
        get(
            f"{live_server.url}/sys/send.php",
            login=SEED_USERNAME,
            psw=SEED_PASSWORD,
            phones=f"{DELIVERED},{REJECTED}",
            mes=TEXT,
            fmt=3,
            cost=3,
            charset="utf-8",
        )
    )
    assert sent["cnt"] == 2, sent
    assert Decimal(sent["cost"]) == 2 * PRICE, sent
    assert Decimal(sent["balance"]) == Decimal("100.00") - 2 * PRICE, sent
    message = Message.objects.get(pk=sent["id"])
    a_ids = dict(message.recipients.values_list("number", "pk"))

    # A's dispatcher hands both to B's send.php (one request each, id = A's recipient
    # id); B answers with its own message ids, which A keeps as the gateway refs.
    assert dispatch.dispatch_batch() == 2
    assert dispatch.dispatch_batch() == 0
    b_messages = instance_b.query(
        "SELECT m.id, r.number, m.text, m.service_id FROM messaging_message m "
        "JOIN messaging_recipient r ON r.message_id = m.id ORDER BY m.id"
    )
    assert len(b_messages) == 2, b_messages
    b_ids = {number: b_id for b_id, number, _, _ in b_messages}
    assert set(b_ids) == {DELIVERED, REJECTED}
    assert {text for _, _, text, _ in b_messages} == {TEXT}  # utf-8 both ways
    assert {service for _, _, _, service in b_messages} == {demo["service_id"]}
    refs = dict(message.recipients.values_list("number", "gateway_ref"))
    assert refs == {number: str(b_id) for number, b_id in b_ids.items()}
    assert set(message.recipients.values_list("status", flat=True)) == {Status.QUEUED}
    assert min(b_ids.values()) >= B_FIRST_MESSAGE_ID > max(a_ids.values())

    sends = instance_b.requests("sys/send.php", 2)
    assert (sends, instance_b.requests("sys/status.php")) == (2, 0)

    # A retry (a worker died before recording the outcome) is simply sent again, with
    # no status.php lookup first: B's send.php answers the repeated id with its first
    # answer and sends nothing.
    messages_before = len(instance_b.query("SELECT id FROM messaging_message"))
    (again,) = driver_for(gateway).send(
        [
            Outgoing(
                recipient_id=a_ids[DELIVERED],
                number=DELIVERED,
                text=TEXT,
                sender="",
                flash=False,
                parts=1,
                retry=True,
            )
        ]
    )
    assert (again.status, again.ref) == (Status.QUEUED, str(b_ids[DELIVERED]))
    assert len(instance_b.query("SELECT id FROM messaging_message")) == messages_before
    sends = instance_b.requests("sys/send.php", 3)
    assert (sends, instance_b.requests("sys/status.php")) == (3, 0)

    # B's worker sends them to its simulator: one delivered, one rejected.
    wanted = {b_ids[DELIVERED]: "DELIVERED", b_ids[REJECTED]: "REJECTED"}
    wait_until(lambda: instance_b.statuses(wanted) == wanted, timeout=40)

    # A polls B's status.php: one mass request (B allows one a minute), applied here.
    Gateway.objects.filter(pk=gateway.pk).update(polled_at=None)
    assert dispatch.poll_gateways() == 2
    assert instance_b.requests("sys/status.php", 1) == 1
    assert dict(message.recipients.values_list("number", "status")) == {
        DELIVERED: Status.DELIVERED,
        REJECTED: Status.REJECTED,
    }

    # The customer reads them back from A's status.php (multi), in SMSC's codes.
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

    # Money on A: both charged when sent, the rejected one refunded.
    entries = LedgerEntry.objects.filter(service=api_service).exclude(kind=LedgerKind.TOP_UP)
    kinds = sorted((e.kind, abs(e.amount)) for e in entries)
    assert kinds == [(LedgerKind.CHARGE, 2 * PRICE), (LedgerKind.REFUND, PRICE)], kinds
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("100.00") - PRICE

    # On B, the same for its demo account: two sends charged, the rejected one refunded.
    b_entries = instance_b.query(
        "SELECT kind, CAST(amount AS TEXT) FROM accounts_ledgerentry "
        "WHERE service_id = ? AND kind IN ('charge', 'refund') ORDER BY id",
        demo["service_id"],
    )
    assert sorted((kind, abs(Decimal(amount))) for kind, amount in b_entries) == [
        ("charge", PRICE),
        ("charge", PRICE),
        ("refund", PRICE),
    ], b_entries
    balance_b = get(
        f"{instance_b.url}sys/balance.php",
        login=demo["smsc_login"],
        psw=demo["smsc_password"],
        fmt=1,
    )
    assert Decimal(balance_b) == Decimal(demo["balance"]) - PRICE
