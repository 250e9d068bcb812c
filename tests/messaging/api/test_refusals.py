"""Every refusal of the send pipeline has a wire answer in the SMS API (SPEC §4).

``errors.from_pipeline`` reads one table by the refusal's class, or its
nearest ancestor's: a refusal the table did not name used to be a KeyError,
and the client got HTTP 500 instead of an error it could read.
"""

import pytest
from django.test import Client

from lib import classtable
from messaging import services
from messaging.api import errors
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.refusals import each_refusal, refusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer_500():
    """A client that hands back HTTP 500 instead of raising the view's exception."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)


def credentials(**fields):
    return {"username": SEED_USERNAME, "password": SEED_PASSWORD, **fields}


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_named_in_the_table_not_left_to_the_fallback(kind):
    assert classtable.nearest(errors._FROM_PIPELINE, kind) not in (None, services.SendError)


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_of_a_send_is_an_error_the_client_can_read(
    kind, answer_500, api_service, monkeypatch
):
    def refuse(service_id, request):
        raise refusal(kind)

    monkeypatch.setattr(services, "submit", refuse)

    response = answer_500.post("/sms_api/gateway/", credentials(to_list="888222444", message="Hi"))

    assert response.status_code == 200
    body = response.json()
    assert body["error"] in errors.WIRE_ERRORS
    assert body["error_description"]


def test_a_message_still_in_flight_is_an_error_not_http_500(answer_500, api_service, monkeypatch):
    # MessageInFlight (a delete refused by status.php) was missing from the
    # table: any API call it reached answered HTTP 500.
    def refuse(service_id, message_id):
        raise services.MessageInFlight("some recipients are not final yet")

    monkeypatch.setattr(services, "cancel", refuse)

    response = answer_500.post("/sms_api/cancelSms/", credentials(message_id="1"))

    assert response.status_code == 200
    assert response.json()["error"] == "INVALID_FIELD"
    assert response.json()["error_from"] == "message_id"
