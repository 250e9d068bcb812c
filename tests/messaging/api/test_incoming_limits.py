"""incoming/<sms_hash>/ has limits: the size of what it stores and the calls a second."""

import pytest
import yaml
from django.test import Client

from accounts import apiauth
from accounts.models import AllowedAddress
from lib import throttle
from messaging import services
from messaging.api.errors import ENDPOINT_ERRORS, WIRE_ERRORS
from messaging.models import Callback, IncomingMessage

pytestmark = pytest.mark.django_db

INCOMING = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}


@pytest.fixture
def sms_hash(api_service):
    api_service.callback_url = "https://customer.example.com/sms"  # each SMS queues a callback
    api_service.save()
    return apiauth.regenerate_sms_hash(api_service)


@pytest.fixture
def clock(monkeypatch):
    now = [1_700_000_000.1]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def incoming(client, sms_hash, **fields):
    return client.post(f"/sms_api/incoming/{sms_hash}/", {**INCOMING, **fields})


# -- sizes -----------------------------------------------------------------------------------


def test_an_sms_message_over_the_limit_is_refused_and_not_stored(client, sms_hash):
    data = incoming(client, sms_hash, sms_message="x" * 2001).json()

    assert (data["error"], data["error_from"]) == ("INVALID_FIELD", "sms_message")
    assert "2000" in data["error_description"]
    assert not IncomingMessage.objects.exists()
    assert not Callback.objects.exists()


def test_an_sms_message_at_the_limit_is_stored(client, sms_hash):
    assert incoming(client, sms_hash, sms_message="ż" * 2000).json() == {"error": "OK"}
    assert len(IncomingMessage.objects.get().text) == 2000


@pytest.mark.parametrize("field", ["from_number", "to_number"])
def test_a_number_longer_than_32_characters_is_refused(client, sms_hash, field):
    data = incoming(client, sms_hash, **{field: "4" * 33}).json()

    assert (data["error"], data["error_from"]) == ("INVALID_FIELD", field)
    assert not IncomingMessage.objects.exists()


def test_store_incoming_refuses_an_over_long_value_rather_than_cutting_it(api_service):
    with pytest.raises(services.IncomingTooLong) as refused:
        services.store_incoming(api_service.pk, "4" * 33, "48444555666", "Hi", None)
    assert refused.value.field == "from_number"

    with pytest.raises(services.IncomingTooLong) as refused:
        services.store_incoming(api_service.pk, "48111222333", "1", "x" * 2001, None)
    assert refused.value.field == "sms_message"
    assert not IncomingMessage.objects.exists()


# -- calls a second --------------------------------------------------------------------------


def test_the_call_past_the_rate_limit_is_refused_and_stores_nothing(
    client, sms_hash, settings, clock
):
    settings.INCOMING_RATE_LIMIT = 5
    answers = [incoming(client, sms_hash).json()["error"] for _ in range(5)]

    response = incoming(client, sms_hash)

    assert answers == ["OK"] * 5
    data = response.json()
    assert data["error"] == "TOO_MANY_REQUESTS"
    assert data["retry_after"] == 1 == int(response["Retry-After"])
    assert IncomingMessage.objects.count() == 5
    assert Callback.objects.count() == 5


def test_the_rate_limit_of_one_service_leaves_another_alone(
    client, sms_hash, make_service, settings, clock
):
    settings.INCOMING_RATE_LIMIT = 5
    other = make_service(username="bob")
    AllowedAddress.objects.create(service=other, network="127.0.0.1")
    other_hash = apiauth.regenerate_sms_hash(other)
    for _ in range(6):
        incoming(client, sms_hash)

    assert incoming(client, other_hash).json() == {"error": "OK"}
    assert IncomingMessage.objects.filter(service=other).count() == 1


def test_the_rate_limit_lets_calls_in_again_the_next_second(client, sms_hash, settings, clock):
    settings.INCOMING_RATE_LIMIT = 5
    for _ in range(6):
        incoming(client, sms_hash)
    clock[0] += 1

    assert incoming(client, sms_hash).json() == {"error": "OK"}
    assert IncomingMessage.objects.count() == 6


def test_the_rate_limit_counts_calls_whatever_address_they_come_from(
    sms_hash, api_service, settings, clock
):
    settings.INCOMING_RATE_LIMIT = 2
    AllowedAddress.objects.create(service=api_service, network="203.0.113.0/24")
    answers = [
        incoming(Client(REMOTE_ADDR=f"203.0.113.{n}"), sms_hash).json()["error"]
        for n in range(1, 4)
    ]

    assert answers == ["OK", "OK", "TOO_MANY_REQUESTS"]


def test_too_many_requests_is_documented_for_incoming(client):
    assert "TOO_MANY_REQUESTS" in ENDPOINT_ERRORS["incoming"]
    assert WIRE_ERRORS["TOO_MANY_REQUESTS"][1] is True  # an extension

    schema = yaml.safe_load(client.get("/sms_api/schema/").content)
    assert (
        "TOO_MANY_REQUESTS"
        in schema["paths"]["/sms_api/incoming/{sms_hash}/"]["post"]["description"]
    )
    page = client.get("/docs/api/").content.decode()
    incoming_section = page.split('id="incoming"')[1].split("</section>")[0]
    assert "<code>TOO_MANY_REQUESTS</code>" in incoming_section
