"""Retention on PostgreSQL beside the send path: its batches take row locks only, skip
the rows another transaction holds, and never make a send, a dispatch or a report wait."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gateways import dispatch
from messaging import retention, services, transitions
from messaging.models import Callback, CallbackKind, IncomingMessage, Message, Recipient, Status
from messaging.transitions import Report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

A, B = "48600100001", "48600100002"


def old_message(service, numbers=(A, B), days=400):
    request = services.SendRequest(recipients=list(numbers), text="Stary tekst")
    message = services.submit(service.pk, request).message
    ids = Recipient.objects.filter(message=message).values_list("pk", flat=True)
    transitions.apply_reports([Report(pk, Status.DELIVERED) for pk in ids])
    then = timezone.now() - timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)
    return message


@pytest.fixture
def customer(make_service):
    return make_service(username="locks", balance=Decimal("100"))


class Holder(threading.Thread):
    """Runs ``statements`` in a transaction of its own connection and holds it open
    until ``release``."""

    def __init__(self, *statements):
        super().__init__(daemon=True)
        self.statements = statements
        self.holding = threading.Event()
        self.done = threading.Event()

    def run(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for sql, params in self.statements:
                    cursor.execute(sql, params)
                self.holding.set()
                self.done.wait(30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.start()
        assert self.holding.wait(10)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join(10)


def timed_run(**kwargs):
    """retention.run with the waits it might do cut short: a lock it waits on is an error."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")
    try:
        started = time.monotonic()
        counts = retention.run(**kwargs)
        return counts, time.monotonic() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")


def test_a_batch_locks_no_key_update_skip_locked_in_its_order(customer):
    old_message(customer)

    with CaptureQueriesContext(connection) as queries:
        retention.run()

    locking = [q["sql"] for q in queries if "SKIP LOCKED" in q["sql"]]
    assert locking, "no batch locked anything"
    assert all("FOR NO KEY UPDATE" in sql for sql in locking)
    assert not any("LOCK TABLE" in q["sql"].upper() for q in queries)
    batch = next(sql for sql in locking if '"messaging_message"."text_archived_at" IS NULL' in sql)
    # (created_at, id): the keyset of the partial index message_text_kept.
    assert batch.startswith(
        'SELECT "messaging_message"."created_at" AS "created_at", "messaging_message"."id"'
    )
    assert "ORDER BY 1 ASC, 2 ASC LIMIT 1000 FOR NO KEY UPDATE" in batch


def test_a_batch_skips_a_message_another_transaction_holds(customer):
    held, free = old_message(customer), old_message(customer)

    with Holder(("SELECT 1 FROM messaging_message WHERE id = %s FOR UPDATE", [held.pk])):
        counts, took = timed_run()

    assert took < 2
    assert counts["message texts"] == 1 and counts["messages' numbers"] == 1
    held.refresh_from_db()
    free.refresh_from_db()
    assert held.archived == [] and free.archived == ["text", "numbers"]
    # Met again by the next run, once released.
    retention.run()
    held.refresh_from_db()
    assert held.archived == ["text", "numbers"]


def test_a_message_whose_recipient_another_transaction_holds_keeps_its_numbers(customer):
    held, free = old_message(customer), old_message(customer)
    recipient = held.recipients.get(number=B)

    # A customer's status.php delete of that SMS, say, still in its transaction.
    with Holder(("SELECT 1 FROM messaging_recipient WHERE id = %s FOR UPDATE", [recipient.pk])):
        counts, took = timed_run()

    assert took < 2
    held.refresh_from_db()
    assert held.archived == ["text"]  # the text needs no recipient row
    assert set(held.recipients.values_list("number", flat=True)) == {A, B}
    free.refresh_from_db()
    assert free.archived == ["text", "numbers"]
    retention.run()
    held.refresh_from_db()
    assert held.archived == ["text", "numbers"]
    assert set(held.recipients.values_list("number", flat=True)) == {"48******001", "48******002"}


def test_sends_dispatch_and_reports_go_on_while_a_batch_is_open(customer, simulator, monkeypatch):
    old = old_message(customer)
    in_batch, release = threading.Event(), threading.Event()
    mask_report_body = retention.callbacks.mask_report_body

    def held_open(body):
        # Inside the numbers batch: the old message's row and its recipients are locked.
        in_batch.set()
        release.wait(30)
        return mask_report_body(body)

    monkeypatch.setattr(retention.callbacks, "mask_report_body", held_open)
    customer.callback_url = "https://example.com/reports"  # so that the batch has a callback
    customer.save()
    Recipient.objects.filter(message=old).update(status=Status.QUEUED)
    transitions.apply_reports(
        [Report(pk, Status.DELIVERED) for pk in old.recipients.values_list("pk", flat=True)]
    )
    then = timezone.now() - timedelta(days=400)
    Recipient.objects.filter(message=old).update(status_at=then)
    results = {}

    def archive():
        try:
            results["counts"] = retention.run()
        finally:
            connections.close_all()

    worker = threading.Thread(target=archive, daemon=True)
    worker.start()
    try:
        assert in_batch.wait(10), "the batch never started"
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting on the batch fails the test
        started = time.monotonic()
        request = services.SendRequest(recipients=[A, "48600100999"], text="Nowy")
        fresh = services.submit(customer.pk, request).message
        assert dispatch.dispatch_batch() == 2  # sent, and the simulator reported at once
        statuses = dict(fresh.recipients.values_list("number", "status"))
        progress = services.progress(customer.pk, old.pk)  # the message being archived
        took = time.monotonic() - started
    finally:
        release.set()
        worker.join(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert took < 2
    assert statuses == {A: Status.DELIVERED, "48600100999": Status.EXPIRED}
    assert progress.success_count == 2
    assert results["counts"]["messages' numbers"] == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.archived == ["text", "numbers"] and fresh.archived == []


def test_the_retention_indexes_are_built_without_blocking_writes():
    # A plain CREATE INDEX on the messages table would stop every send while it runs.
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sqlmigrate", "messaging", "0015", stdout=out)
    sql = out.getvalue()
    names = ["incoming_text_kept", "incoming_number_kept", "message_text_kept"]
    for name in [*names, "message_numbers_kept"]:
        assert f'CREATE INDEX CONCURRENTLY "{name}"' in sql
    assert "BEGIN;" not in sql
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid"
            " WHERE relname LIKE '%%_kept' AND relname = ANY(%s) AND indisvalid",
            [[*names, "message_numbers_kept"]],
        )
        assert cursor.fetchone()[0] == 4


def test_a_message_whose_report_callback_another_transaction_holds_waits(customer):
    # The callback worker holds a claimed callback while it posts it; the batch must not
    # wait for it, nor mask the recipients and leave the held callback's numbers in clear.
    customer.callback_url = "https://example.com/reports"
    customer.save()
    message = old_message(customer)
    call = Callback.objects.get(message=message, kind=CallbackKind.REPORT)

    with Holder(("SELECT 1 FROM messaging_callback WHERE id = %s FOR UPDATE", [call.pk])):
        counts, took = timed_run()

    assert took < 2
    message.refresh_from_db()
    assert message.archived == ["text"]
    assert set(message.recipients.values_list("number", flat=True)) == {A, B}
    retention.run()
    message.refresh_from_db()
    call.refresh_from_db()
    assert message.archived == ["text", "numbers"]
    assert A not in call.body and ",48******001," in call.body


def test_a_received_sms_whose_callback_another_transaction_holds_waits(customer):
    customer.callback_url = "https://example.com/reports"
    customer.save()
    sms = services.store_incoming(customer.pk, "48500600700", "48111222333", "Tak, biorę", None)
    IncomingMessage.objects.filter(pk=sms.pk).update(
        received_at=timezone.now() - timedelta(days=400)
    )
    call = Callback.objects.get(incoming=sms)

    with Holder(("SELECT 1 FROM messaging_callback WHERE id = %s FOR UPDATE", [call.pk])):
        counts, took = timed_run()

    assert took < 2
    sms.refresh_from_db()
    assert (sms.text, sms.from_number) == ("Tak, biorę", "48500600700")
    retention.run()
    sms.refresh_from_db()
    call.refresh_from_db()
    assert sms.text == "" and sms.from_number == "48******700"
    assert "Tak" not in call.body and "48500600700" not in call.body
