"""incoming/<sms_hash>/: SMS received for a two-way service (seed 001 §3a)."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts import apiauth
from accounts.models import AllowedAddress
from messaging.models import IncomingMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_hash(api_service):
    """The current SMS hash of the seed's (two-way) service, as the panel shows it once."""
    return apiauth.regenerate_sms_hash(api_service)


def test_incoming_stores_the_sms_for_the_service(client, api_service, sms_hash):
    data = client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {
            "from_number": "48111222333",
            "to_number": "48444555666",
            "sms_message": "Dzień dobry, proszę o kontakt",
            "sms_date": "1353825932",
        },
    ).json()

    assert data == {"error": "OK"}
    stored = IncomingMessage.objects.get()
    assert stored.service_id == api_service.pk
    assert (stored.from_number, stored.to_number) == ("48111222333", "48444555666")
    assert stored.text == "Dzień dobry, proszę o kontakt"
    assert stored.received_at == datetime.fromtimestamp(1353825932, tz=UTC)


def test_example_2_spelling_received_at_and_message(client, api_service, sms_hash):
    # Seed 001 example 2 spells sms_date as received_at and sms_message as message.
    response = client.get(
        f"/sms_api/incoming/{sms_hash}/json/",
        {
            "from_number": "48111222333",
            "to_number": "48444555666",
            "received_at": "1353825932",
            "message": "This is a test message",
        },
    )

    assert response.json() == {"error": "OK"}
    stored = IncomingMessage.objects.get(service=api_service)
    assert (stored.from_number, stored.to_number) == ("48111222333", "48444555666")
    assert stored.text == "This is a test message"
    assert stored.received_at == datetime(2012, 11, 25, 6, 45, 32, tzinfo=UTC)


def test_the_documented_names_win_over_the_example_2_spelling(client, sms_hash):
    client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {
            "from_number": "48111222333",
            "to_number": "48444555666",
            "sms_message": "documented",
            "message": "alternate",
        },
    )

    assert IncomingMessage.objects.get().text == "documented"


def test_sms_date_defaults_to_now(client, sms_hash):
    before = timezone.now()
    client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"},
    )
    after = timezone.now()

    assert before <= IncomingMessage.objects.get().received_at <= after


def test_incoming_xml_answers_ok_in_root(client, sms_hash):
    response = client.post(
        f"/sms_api/incoming/{sms_hash}/xml/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"},
    )

    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "root"
    assert root.findtext("error") == "OK"
    assert IncomingMessage.objects.count() == 1


def test_incoming_keeps_a_gateway_alias_as_to_number(client, sms_hash):
    # seed 001 §3a: to_number is a phone number or a gateway alias.
    client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "Allegro", "to_number": "port3", "sms_message": "Kod: 1234"},
    )

    stored = IncomingMessage.objects.get()
    assert (stored.from_number, stored.to_number) == ("Allegro", "port3")


def test_incoming_goes_to_the_service_of_the_hash(client, make_service, sms_hash):
    other = make_service(username="bob")
    AllowedAddress.objects.create(service=other, network="127.0.0.1")
    other_hash = apiauth.regenerate_sms_hash(other)

    client.post(
        f"/sms_api/incoming/{other_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Bob's"},
    )

    assert IncomingMessage.objects.get().service_id == other.pk
