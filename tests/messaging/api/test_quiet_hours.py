"""Quiet hours through the Telecube API: a send accepted outside the window is answered
as accepted and PENDING (the protocol has no field for a send time), and getProgress
shows PENDING until the window opens and the dispatcher sends it."""

import xml.etree.ElementTree as ET

import pytest

from gateways import dispatch
from messaging.models import Message
from tests.quiet_hours import MONDAY_EVENING, TUESDAY_OPENING, freeze, switch_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(monkeypatch, api_service):
    switch_on(api_service)
    freeze(monkeypatch, MONDAY_EVENING)
    return api_service


def test_the_send_is_accepted_as_pending_and_stored_for_the_opening(api, evening):
    data = api("gateway/", to_list="48600100123", message="Hej").json()

    assert data["error"] == "OK"
    assert data["recipient_list"] == [{"number": "48600100123", "status": "PENDING"}]
    assert Message.objects.get(pk=data["message_id"]).send_at == TUESDAY_OPENING


def test_get_progress_shows_pending_until_the_window_opens(api, evening, simulator):
    message_id = api("gateway/", to_list="48600100123", message="Hej").json()["message_id"]
    dispatch.dispatch_batch(now=MONDAY_EVENING)

    data = api(f"getProgress/{message_id}/").json()
    assert data["recipient_list"] == [{"number": "48600100123", "status": "PENDING"}]
    root = ET.fromstring(api(f"getProgress/{message_id}/xml/").content)
    assert root.find("recipient_list").findtext("status") == "PENDING"

    dispatch.dispatch_batch(now=TUESDAY_OPENING)
    data = api(f"getProgress/{message_id}/").json()
    assert data["recipient_list"][0]["status"] != "PENDING"


def test_express_is_not_held(api, evening):
    data = api("gateway/", to_list="48600100123", message="Hej", sms_express="1").json()

    assert Message.objects.get(pk=data["message_id"]).send_at == MONDAY_EVENING
