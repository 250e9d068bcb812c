"""Paths, formats, methods and spellings of the SMS API (seed 001 §2, §5–§7); getProgress."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from accounts import apiauth
from messaging.models import Message, Recipient, Status
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": SEED_USERNAME, "password": SEED_PASSWORD}
INCOMING = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}


def later() -> str:
    return str(int((timezone.now() + timedelta(hours=1)).timestamp()))


@pytest.fixture
def message_id(api):
    data = api(
        "gateway/",
        to_list="48505666333,888222444",
        message="Spotkanie jutro",
        user_flag="faktura-2024/17",
        send_datetime=later(),
    ).json()
    return data["message_id"]


def parse(response, fmt):
    if fmt == "xml":
        assert response["Content-Type"].startswith("application/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "root"
        return {child.tag: child.text for child in root}
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


# -- every endpoint × plain/json/xml × GET/POST ----------------------------------------------


def endpoints(message_id, sms_hash):
    """(base path, fields, a success key besides error) per endpoint."""
    return {
        "gateway": (
            "gateway",
            {**CREDENTIALS, "to_list": "888222444", "message": "Hej"},
            "message_id",
        ),
        "send": ("send", {**CREDENTIALS, "to_list": "888222444", "message": "Hej"}, "message_id"),
        "getProgress": (f"getProgress/{message_id}", CREDENTIALS, "recipient_count"),
        "cancelSms": ("cancelSms", {**CREDENTIALS, "message_id": message_id}, "cancelled_count"),
        "validateContent": (
            "validateContent",
            {**CREDENTIALS, "message": "Hej"},
            "may_be_invalid",
        ),
        "incoming": (f"incoming/{sms_hash}", INCOMING, None),
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("suffix", "fmt"), [("/", "json"), ("/json/", "json"), ("/xml/", "xml")])
@pytest.mark.parametrize(
    "endpoint", ["gateway", "send", "getProgress", "cancelSms", "validateContent", "incoming"]
)
def test_every_endpoint_answers_each_format_and_method(
    client, api_service, message_id, endpoint, suffix, fmt, method
):
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    path, fields, key = endpoints(message_id, sms_hash)[endpoint]

    response = getattr(client, method)(f"/sms_api/{path}{suffix}", fields)

    assert response.status_code == 200
    data = parse(response, fmt)
    assert data["error"] == "OK", data
    if key is not None:
        assert data[key] not in (None, "")


def test_json_is_the_default_whatever_accept_says(client, api_service):
    response = client.post(
        "/sms_api/validateContent", {**CREDENTIALS, "message": "Hej"}, HTTP_ACCEPT="application/xml"
    )

    assert parse(response, "json")["error"] == "OK"


def test_an_error_answers_in_xml_at_the_xml_path(client, api_service):
    response = client.post("/sms_api/gateway/xml/", {**CREDENTIALS, "message": "Hej"})

    root = ET.fromstring(response.content)
    assert root.findtext("error") == "MISSING_RECIPIENT_DATA"
    assert root.findtext("error_from") == "to_list"


def test_missing_fields_in_xml_repeat_the_fields_element(client, api_service):
    response = client.post("/sms_api/gateway/xml/", {"to_list": "888222444"})

    root = ET.fromstring(response.content)
    assert [e.text for e in root.findall("fields")] == ["username", "password", "message"]


def test_cancel_sms_answers_without_a_trailing_slash(api, message_id):
    response = api("cancelSms", message_id=str(message_id))

    assert response.status_code == 200
    assert response.json()["cancelled_count"] == 2


def test_get_progress_takes_message_id_as_a_field(api, message_id):
    data = api("getProgress/", method="get", message_id=str(message_id)).json()

    assert data["error"] == "OK"
    assert data["message_id"] == message_id


def test_gateway_reads_query_and_body_fields_together(client, api_service):
    response = client.post(
        f"/sms_api/gateway/?username={SEED_USERNAME}&password={SEED_PASSWORD}",
        {"to_list": "888222444", "message": "Hej"},
    )

    assert response.json()["error"] == "OK"


def test_a_urlencoded_post_is_read(client, api_service):
    body = urlencode({**CREDENTIALS, "to_list": "888222444", "message": "Zażółć gęślą jaźń"})
    response = client.post(
        "/sms_api/gateway/", body, content_type="application/x-www-form-urlencoded"
    )

    data = response.json()
    assert data["error"] == "OK"
    assert Message.objects.get(pk=data["message_id"]).text == "Zażółć gęślą jaźń"


# -- seed §6–§7 spell Username / Password ----------------------------------------------------


CAPITALISED = {"Username": SEED_USERNAME, "Password": SEED_PASSWORD}


def test_cancel_sms_accepts_capitalised_username_and_password(client, api_service, message_id):
    data = client.post("/sms_api/cancelSms", {**CAPITALISED, "message_id": message_id}).json()

    assert data["error"] == "OK"
    assert data["cancelled_count"] == 2


def test_validate_content_accepts_capitalised_username_and_password(client, api_service):
    data = client.post("/sms_api/validateContent", {**CAPITALISED, "message": "Hej"}).json()

    assert data == {"error": "OK", "may_be_invalid": False}


def test_capitalised_password_is_checked(client, api_service):
    data = client.post(
        "/sms_api/validateContent",
        {"Username": SEED_USERNAME, "Password": "wrong", "message": "Hej"},
    ).json()

    assert data["error"] == "LOGIN_INCORRECT"


# -- getProgress -----------------------------------------------------------------------------


def test_progress_lists_recipients_in_order_with_their_status(api, message_id):
    first, second = Recipient.objects.filter(message_id=message_id).order_by("id")
    Recipient.objects.filter(pk=second.pk).update(status=Status.DELIVERED)

    data = api(f"getProgress/{message_id}/").json()

    assert data["recipient_list"] == [
        {"number": "48505666333", "status": "PENDING"},
        {"number": "48888222444", "status": "DELIVERED"},
    ]
    assert data["recipient_count"] == 2
    assert data["message_parts"] == 1
    assert data["user_flag"] == "faktura-2024/17"


def test_progress_counts_success_and_failure_by_status(api):
    statuses = [
        Status.DELIVERED,
        Status.DELIVERED,
        Status.REJECTED,
        Status.EXPIRED,
        Status.REMOTE_ERROR,
        Status.QUEUED,
        Status.PENDING,
        Status.CANCELLED,
        Status.ON_HOLD,
    ]
    numbers = [f"48500000{n:03d}" for n in range(len(statuses))]
    message_id = api("gateway/", to_list=",".join(numbers), message="Hej").json()["message_id"]
    for row, status in zip(
        Recipient.objects.filter(message_id=message_id).order_by("id"), statuses, strict=True
    ):
        Recipient.objects.filter(pk=row.pk).update(status=status)

    data = api(f"getProgress/{message_id}/").json()

    assert data["success_count"] == 2
    assert data["failure_count"] == 3
    assert [row["status"] for row in data["recipient_list"]] == [str(s) for s in statuses]


def test_progress_in_xml_repeats_recipient_list(api, message_id):
    Recipient.objects.filter(message_id=message_id, number="48505666333").update(
        status=Status.REJECTED
    )

    root = ET.fromstring(api(f"getProgress/{message_id}/xml/").content)

    rows = [(r.findtext("number"), r.findtext("status")) for r in root.findall("recipient_list")]
    assert rows == [("48505666333", "REJECTED"), ("48888222444", "PENDING")]
    assert root.findtext("failure_count") == "1"
    assert root.findtext("success_count") == "0"
    assert root.findtext("user_flag") == "faktura-2024/17"


def test_progress_shows_cancelled_recipients(api, message_id):
    api("cancelSms", message_id=str(message_id))

    data = api(f"getProgress/{message_id}/").json()

    assert {row["status"] for row in data["recipient_list"]} == {"CANCELLED"}


def test_xml_escapes_a_user_flag(api):
    data = api("gateway/", to_list="888222444", message="Hej", user_flag="<a>&b").json()

    root = ET.fromstring(api(f"getProgress/{data['message_id']}/xml/").content)

    assert root.findtext("user_flag") == "<a>&b"
