"""The simulator's log under the retention limits (``gateways.retention``): what it was
asked to send loses its text, then its number; a second run finds nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gateways import dispatch
from gateways.models import SimulatedSms
from messaging import retention
from tests.sending import send

pytestmark = pytest.mark.django_db


def test_the_simulators_log_loses_texts_then_numbers(api_service, simulator, settings):
    send(api_service, numbers=["48600100123"])
    dispatch.dispatch_batch()
    row = SimulatedSms.objects.get()
    assert row.reported and row.text == "Test"

    SimulatedSms.objects.update(report_at=timezone.now() - timedelta(days=91))
    first = retention.run()
    row.refresh_from_db()
    assert (row.text, row.number) == ("", "48600100123")
    assert first["simulated SMS texts"] == 1 and first["simulated SMS numbers"] == 0

    SimulatedSms.objects.update(report_at=timezone.now() - timedelta(days=366))
    retention.run()
    row.refresh_from_db()
    assert row.number == "48******123"
    again = retention.run()
    assert again["simulated SMS texts"] == again["simulated SMS numbers"] == 0


def test_an_unreported_row_keeps_what_it_holds(api_service, simulator):
    send(api_service, numbers=["48600100123"])
    dispatch.dispatch_batch()
    SimulatedSms.objects.update(reported=False, report_at=timezone.now() - timedelta(days=999))

    retention.run()

    row = SimulatedSms.objects.get()
    assert (row.text, row.number) == ("Test", "48600100123")
