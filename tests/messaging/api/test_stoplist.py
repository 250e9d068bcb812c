"""gateway/ and incoming/ with the STOP list: stopped numbers are left out as invalid ones are
(seed 001 example 4), and a STOP or START received through incoming/ changes the list."""

import pytest

from accounts import apiauth
from accounts.models import LedgerEntry, LedgerKind
from messaging import stoplist
from messaging.models import Message, Recipient, StopChange, StopEntry, StopSettings, StopVia

pytestmark = pytest.mark.django_db

STOPPED = "48600100124"


def charge_total(service):
    return -sum(
        e.amount for e in LedgerEntry.objects.filter(service=service, kind=LedgerKind.CHARGE)
    )


def test_a_stopped_number_is_left_out_of_the_answer_and_the_charge(api, api_service):
    stoplist.add(api_service.customer_id, [STOPPED], StopVia.PANEL)

    answer = api("gateway/", to_list=f"600100123,{STOPPED},555666", message="Hej").json()

    assert answer["error"] == "OK"
    assert answer["recipient_count"] == 1
    assert answer["recipient_list"] == [{"number": "48600100123", "status": "PENDING"}]
    message = Message.objects.get(pk=answer["message_id"])
    assert list(Recipient.objects.values_list("number", flat=True)) == ["48600100123"]
    assert charge_total(api_service) == message.recipient_price


def test_a_stopped_number_in_to_file_too(api, api_service):
    stoplist.add(api_service.customer_id, [STOPPED], StopVia.PANEL)
    answer = api("gateway/", to_file=f"600100123\n{STOPPED}\n", message="Hej").json()
    assert answer["recipient_count"] == 1


def test_only_stopped_numbers_is_an_empty_recipient_list(api, api_service):
    stoplist.add(api_service.customer_id, [STOPPED], StopVia.PANEL)

    answer = api("gateway/", to_list=STOPPED, message="Hej").json()

    assert answer["error"] == "RECIPIENT_LIST_IS_EMPTY"
    assert answer["error_from"] == "to_list"
    assert "STOP list" in answer["error_description"]
    assert not Message.objects.exists()
    assert charge_total(api_service) == 0


def test_the_platform_list_applies(api, api_service):
    stoplist.add(None, [STOPPED], StopVia.ADMIN)
    assert api("gateway/", to_list=STOPPED, message="Hej").json()["error"] == (
        "RECIPIENT_LIST_IS_EMPTY"
    )


# -- incoming/ ---------------------------------------------------------------------------------


@pytest.fixture
def receive(client, api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    def call(text, from_number=STOPPED):
        return client.post(
            f"/sms_api/incoming/{sms_hash}/",
            {"from_number": from_number, "to_number": "48500000000", "sms_message": text},
        ).json()

    return call


@pytest.mark.parametrize("text", ["STOP", "Stop", " stop ", "rezygnuję", "STOP SMS", "nie"])
def test_stop_through_incoming_then_start(receive, api, api_service, text):
    assert receive(text) == {"error": "OK"}
    assert api("gateway/", to_list=STOPPED, message="Hej").json()["error"] == (
        "RECIPIENT_LIST_IS_EMPTY"
    )

    assert receive("START") == {"error": "OK"}
    assert api("gateway/", to_list=STOPPED, message="Hej").json()["error"] == "OK"
    log = list(StopChange.objects.order_by("id").values_list("action", "via"))
    assert log == [("added", StopVia.STOP_WORD), ("removed", StopVia.START_WORD)]


def test_the_confirmation_is_charged_once(receive, api_service):
    StopSettings.objects.create(customer=api_service.customer, confirm=True, stop_text="Wypisano.")

    receive("STOP")

    confirmation = Message.objects.get()
    assert confirmation.recipient_count == 1
    assert charge_total(api_service) == confirmation.price > 0
    assert StopEntry.objects.filter(customer=api_service.customer, number=STOPPED).exists()


def test_no_confirmation_when_off(receive, api_service):
    StopSettings.objects.create(customer=api_service.customer, confirm=False, stop_text="Wypisano.")
    receive("STOP")
    assert not Message.objects.exists()
    assert charge_total(api_service) == 0
