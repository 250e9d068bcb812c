"""The charset a request body names: UTF-8 and what real clients send are read, anything
else gets the API's own answer (INVALID_FIELD from Content-Type), never a server error."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts import apiauth
from messaging.models import IncomingMessage, Message

pytestmark = pytest.mark.django_db

POLISH = "Zażółć gęślą jaźń, ŁÓDŹ"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def quiet_client():
    return Client(raise_request_exception=False)


@pytest.fixture
def sms_hash(api_service):
    return apiauth.regenerate_sms_hash(api_service)


def paths(sms_hash):
    return [
        "gateway/",
        "getProgress/1/",
        "cancelSms",
        "validateContent",
        f"incoming/{sms_hash}/",
    ]


BAD_BODIES = {
    # unicode_escape turns the text \ud800 into a lone surrogate, which no codec can write.
    "unicode_escape": (
        f"{FORM}; charset=unicode_escape",
        b"username=\\ud800&password=\\ud800&message=\\ud800&to_list=888222444"
        b"&message_id=1&from_number=\\ud800&to_number=1&sms_message=\\ud800",
    ),
    "nonsense": (
        f"{FORM}; charset=nonsense",
        b"username=sms_claudeapi&password=topsecret&message=Hi&to_list=888222444"
        b"&message_id=1&from_number=1&to_number=1&sms_message=Hi",
    ),
    "utf-16": (
        f"{FORM}; charset=utf-16",
        "username=sms_claudeapi&password=topsecret&message=Hi".encode("utf-16"),
    ),
    "multipart": (
        "multipart/form-data; boundary=xyz; charset=unicode_escape",
        b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\n\\ud800\r\n--xyz--\r\n',
    ),
}


@pytest.mark.parametrize("endpoint", range(5), ids=[p.split("/")[0] for p in paths("h")])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_an_odd_charset_gets_invalid_field_from_every_endpoint(
    quiet_client, api_service, sms_hash, endpoint, body
):
    content_type, data = body

    response = quiet_client.generic(
        "POST", f"/sms_api/{paths(sms_hash)[endpoint]}", data, content_type=content_type
    )

    assert response.status_code == 200, response.content[:200]
    answer = response.json()
    assert (answer["error"], answer["error_from"]) == ("INVALID_FIELD", "Content-Type")
    assert "charset" in answer["error_description"]
    assert not Message.objects.exists()
    assert not IncomingMessage.objects.exists()


def test_an_odd_charset_is_answered_in_xml_on_the_xml_path(quiet_client, api_service):
    content_type, data = BAD_BODIES["unicode_escape"]

    response = quiet_client.generic(
        "POST", "/sms_api/gateway/xml/", data, content_type=content_type
    )

    assert response.status_code == 200
    assert b"<error>INVALID_FIELD</error>" in response.content


@pytest.mark.parametrize("charset", ["ISO-8859-2", "windows-1250", "utf-8"])
def test_polish_text_in_the_charsets_clients_send_arrives_intact(
    client, api_service, sms_hash, charset
):
    fields = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": POLISH}
    body = urlencode(fields, encoding=charset).encode("ascii")

    response = client.generic(
        "POST", f"/sms_api/incoming/{sms_hash}/", body, content_type=f"{FORM}; charset={charset}"
    )

    assert response.json() == {"error": "OK"}
    assert IncomingMessage.objects.get().text == POLISH
