"""Quiet hours through SMSC's send.php and status.php: a send accepted outside the
window is status -1 ("Waiting send") with the opening as its send_date until the
dispatcher sends it."""

import json

import pytest

from gateways import dispatch
from messaging.models import Message
from tests.quiet_hours import MONDAY_EVENING, TUESDAY_OPENING, freeze, switch_on

from .conftest import DELIVERED

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(monkeypatch, api_service):
    switch_on(api_service)
    freeze(monkeypatch, MONDAY_EVENING)
    return api_service


def status(smsc, message_id) -> dict:
    return json.loads(smsc("status", id=message_id, phone=DELIVERED, fmt=3, all=1))


def test_status_is_waiting_send_with_the_opening_as_its_send_date(smsc, evening, simulator):
    sent = json.loads(smsc("send", phones=DELIVERED, mes="Hej", fmt=3))
    message_id = sent["id"]
    assert Message.objects.get(pk=message_id).send_at == TUESDAY_OPENING
    dispatch.dispatch_batch(now=MONDAY_EVENING)

    answer = status(smsc, message_id)
    assert (answer["status"], answer["err"]) == (-1, 0)
    assert answer["send_date"] == "08.12.2026 08:00:00"

    dispatch.dispatch_batch(now=TUESDAY_OPENING)
    assert status(smsc, message_id)["status"] in (0, 1)  # with the operator, or delivered


def test_a_time_given_inside_the_window_is_kept(smsc, evening):
    sent = json.loads(smsc("send", phones=DELIVERED, mes="Hej", fmt=3, time="08.12.26 09:30"))

    answer = status(smsc, sent["id"])
    assert (answer["status"], answer["send_date"]) == (-1, "08.12.2026 09:30:00")
