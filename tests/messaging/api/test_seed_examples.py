"""Seed 001 (Telecube HTTP API v2.1) examples 3–7, each with the seed's own data."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from messaging.models import Message, Recipient

pytestmark = pytest.mark.django_db


def numbers_of(message_id):
    return list(Recipient.objects.filter(message_id=message_id).values_list("number", flat=True))


# -- example 3: one recipient, XML ---------------------------------------------------------


def test_example_3_answers_xml_root_with_the_one_recipient_pending(api):
    response = api("gateway/xml/", method="get", to_list="888222444", message="How is are you?")

    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "root"
    assert root.findtext("error") == "OK"
    assert root.findtext("recipient_count") == "1"
    assert root.findtext("message_parts") == "1"
    rows = root.findall("recipient_list")
    assert [(r.findtext("number"), r.findtext("status")) for r in rows] == [
        ("48888222444", "PENDING")
    ]
    message = Message.objects.get(pk=int(root.findtext("message_id")))
    assert message.text == "How is are you?"
    assert numbers_of(message.pk) == ["48888222444"]


# -- example 4: bulk list, foreign and short numbers dropped, diacritics removed ---------


EXAMPLE_4 = {
    "to_list": "48505666333,888222444,555666,48795000111,+61422333444",
    "message": "Chrz\u0105\u015bzcz brzmi w trzcinnie",  # Chrz%C4%85%C5%9Bzcz
    "remove_special_characters": "1",
}


def test_example_4_drops_555666_and_the_australian_number_keeping_order(api):
    data = api("gateway/", method="get", **EXAMPLE_4).json()

    assert data["error"] == "OK"
    assert data["recipient_count"] == 3
    assert data["recipient_list"] == [
        {"number": "48505666333", "status": "PENDING"},
        {"number": "48888222444", "status": "PENDING"},
        {"number": "48795000111", "status": "PENDING"},
    ]
    assert numbers_of(data["message_id"]) == ["48505666333", "48888222444", "48795000111"]


def test_example_4_stores_the_text_without_diacritics(api):
    data = api("gateway/", method="get", **EXAMPLE_4).json()

    message = Message.objects.get(pk=data["message_id"])
    # The seed prints "Chraszcz brzmi w trzcinnie", but its own rule (ą → a, ś → s)
    # applied to "Chrząśzcz" gives "Chrzaszcz": the seed's sentence has a typo.
    assert message.text == "Chrzaszcz brzmi w trzcinnie"
    assert message.encoding == "GSM-7"
    assert data["message_parts"] == 1


def test_example_4_charges_three_standard_recipients(api, api_service):
    api("gateway/", method="get", **EXAMPLE_4)

    api_service.refresh_from_db()
    assert api_service.balance == Decimal("100.00") - 3 * Decimal("0.07")


# -- example 5: to_file upload, custom notify_url ------------------------------------------


def recipient_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("numbers.txt", text.encode(), content_type="text/plain")


EXAMPLE_5_NOTIFY_URL = "http://server.mysystem.com/api/delivery_reports"


def test_example_5_reads_an_uploaded_file_one_number_a_line(api):
    upload = recipient_file("48505666333\n\n\r\ntel. 888-222-444\n  \n+48 (795) 000 111\r\n")

    data = api(
        "gateway/json/",
        to_file=upload,
        message="Hello world!",
        notify_url=EXAMPLE_5_NOTIFY_URL,
    ).json()

    assert data["error"] == "OK"
    assert data["recipient_count"] == 3
    assert [row["number"] for row in data["recipient_list"]] == [
        "48505666333",
        "48888222444",
        "48795000111",
    ]


def test_example_5_stores_the_notify_url(api):
    data = api(
        "gateway/json/",
        to_file=recipient_file("888222444\n"),
        message="Hello world!",
        notify_url=EXAMPLE_5_NOTIFY_URL,
    ).json()

    message = Message.objects.get(pk=data["message_id"])
    assert message.notify_url == EXAMPLE_5_NOTIFY_URL
    assert message.text == "Hello world!"


# -- example 6: to_file as a plain field, past send_datetime, express ---------------------


EXAMPLE_6 = {
    "to_file": "48888111000",
    "message": "Happy BirthdayBoss!",
    # The seed calls this 6 April 2014 11:15 Warsaw time; it is 11:15 UTC (13:15 in
    # Warsaw). Either way it is in the past.
    "send_datetime": "1396782900",
    "sms_express": "1",
}


def test_example_6_takes_to_file_as_a_plain_field(api):
    data = api("gateway/", method="get", **EXAMPLE_6).json()

    assert data["error"] == "OK"
    assert data["recipient_list"] == [{"number": "48888111000", "status": "PENDING"}]


def test_example_6_past_send_datetime_means_now(api):
    before = timezone.now()
    data = api("gateway/", method="get", **EXAMPLE_6).json()
    after = timezone.now()

    message = Message.objects.get(pk=data["message_id"])
    assert before <= message.send_at <= after
    assert Recipient.objects.get(message=message).send_at == message.send_at


def test_example_6_express_for_one_recipient_costs_one_and_a_half(api, api_service):
    data = api("gateway/", method="get", **EXAMPLE_6).json()

    message = Message.objects.get(pk=data["message_id"])
    assert message.express is True
    assert message.recipient_price == Decimal("0.105")
    assert message.price == Decimal("0.105")
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("99.895")


def test_a_future_send_datetime_is_stored_as_the_schedule(api):
    moment = (timezone.now() + timedelta(days=30)).replace(microsecond=0)

    data = api(
        "gateway/",
        to_file="48888111000",
        message="Happy BirthdayBoss!",
        send_datetime=str(int(moment.timestamp())),
    ).json()

    message = Message.objects.get(pk=data["message_id"])
    assert message.send_at == moment
    assert Recipient.objects.get(message=message).send_at == moment


def test_express_is_ignored_for_two_recipients(api, api_service):
    data = api(
        "gateway/",
        to_list="48888111000,48505666333",
        message="Happy BirthdayBoss!",
        sms_express="1",
    ).json()

    message = Message.objects.get(pk=data["message_id"])
    assert message.express is False
    assert message.recipient_price == Decimal("0.07")
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("100.00") - 2 * Decimal("0.07")


# -- example 7: flash ---------------------------------------------------------------------


EXAMPLE_7 = {
    "to_file": "48888111000",
    "message": "A flood warning has been issued for your area",
    "flash_sms": "1",
}


def test_example_7_stores_a_gsm_text_as_flash(api):
    response = api("gateway/xml/", method="get", **EXAMPLE_7)

    root = ET.fromstring(response.content)
    assert root.findtext("error") == "OK"
    message = Message.objects.get(pk=int(root.findtext("message_id")))
    assert message.flash is True
    assert message.encoding == "GSM-7"


def test_flash_is_ignored_for_a_ucs2_text(api):
    response = api(
        "gateway/xml/",
        method="get",
        to_file="48888111000",
        message="Ostrzeżenie powodziowe dla Twojej okolicy",
        flash_sms="1",
    )

    root = ET.fromstring(response.content)
    assert root.findtext("error") == "OK"
    message = Message.objects.get(pk=int(root.findtext("message_id")))
    assert message.encoding == "UCS-2"
    assert message.flash is False
