"""Unix times on the wire: a number is read as one, however large, and then clamped."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts import apiauth
from messaging.models import IncomingMessage, Message

pytestmark = pytest.mark.django_db

SEND = {"to_list": "888222444", "message": "How is are you?"}
INCOMING = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}


@pytest.mark.parametrize("value", ["9999999999999", "99999999999999999999", "1" + "0" * 400])
def test_a_huge_send_datetime_is_too_far_into_the_future(api, value):
    data = api("gateway/", send_datetime=value, **SEND).json()

    assert (data["error"], data["error_from"]) == ("DATE_SET_TOO_FAR_INTO_FUTURE", "send_datetime")
    assert not Message.objects.exists()


@pytest.mark.parametrize("value", ["-9999999999999", "-" + "9" * 400])
def test_a_very_negative_send_datetime_means_now(api, value):
    before = timezone.now()

    data = api("gateway/", send_datetime=value, **SEND).json()

    assert data["error"] == "OK"
    assert Message.objects.get(pk=data["message_id"]).send_at >= before


def test_a_decimal_fraction_of_a_second_is_dropped(api):
    moment = int((timezone.now() + timedelta(days=2)).timestamp())

    data = api("gateway/", send_datetime=f"{moment}.875", **SEND).json()

    assert data["error"] == "OK"
    assert Message.objects.get(pk=data["message_id"]).send_at == datetime.fromtimestamp(
        moment, tz=UTC
    )


@pytest.mark.parametrize("value", ["1_900_000_000", "１９００００００００"])
def test_only_plain_decimal_numbers_are_unix_times(api, value):
    # Python's int() takes both; the wire takes ASCII digits only.
    data = api("gateway/", send_datetime=value, **SEND).json()

    assert (data["error"], data["error_from"]) == ("INVALID_DATE_TME", "send_datetime")


@pytest.mark.parametrize("value", ["9999999999999", "-9999999999999", "-1"])
def test_an_sms_date_out_of_range_is_taken_as_now(client, api_service, value):
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    before = timezone.now()

    data = client.post(f"/sms_api/incoming/{sms_hash}/", {**INCOMING, "sms_date": value}).json()

    assert data == {"error": "OK"}
    assert before <= IncomingMessage.objects.get().received_at <= timezone.now()
