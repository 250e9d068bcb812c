"""Concurrent status changes on PostgreSQL: no deadlock, one outcome, one refund."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import LedgerEntry, LedgerKind
from messaging import services, transitions
from messaging.models import Recipient, Status
from messaging.transitions import Report

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_report_and_an_expiry_of_one_recipient_do_not_deadlock(make_service, monkeypatch):
    """The report (no refund) holds the recipient row, then writes a callback that
    references the service; the expiry (a refund) holds the service row, then
    wants the recipient. The service lock must not block that reference."""
    service = make_service(username="locks", balance=Decimal("10"))
    service.callback_url = "https://example.com/cb"
    service.save()
    request = services.SendRequest(recipients=["48600100123"], text="x")
    message = services.submit(service.pk, request).message
    recipient = message.recipients.get()
    Recipient.objects.filter(pk=recipient.pk).update(status=Status.QUEUED)

    slow = threading.local()
    update_statuses = transitions._update_statuses

    def widened(whole, now):
        changes = update_statuses(whole, now)
        if getattr(slow, "on", False):
            time.sleep(1.0)  # between the recipient UPDATE and the callback INSERT
        return changes

    monkeypatch.setattr(transitions, "_update_statuses", widened)
    errors = {}

    def apply(name, status, delay, widen):
        time.sleep(delay)
        slow.on = widen
        try:
            transitions.apply_reports([Report(recipient.pk, status)])
        except Exception as exc:  # recorded for the assertion
            errors[name] = repr(exc)[:200]
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=apply, args=("report", Status.DELIVERED, 0, True)),
        threading.Thread(target=apply, args=("expiry", Status.EXPIRED, 0.3, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == {}
    assert Recipient.objects.get(pk=recipient.pk).status == Status.DELIVERED  # first one wins
    assert not LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND).exists()
