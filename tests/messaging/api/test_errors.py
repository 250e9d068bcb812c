"""Every wire error of the SMS API (messaging.api.errors.WIRE_ERRORS), each provoked once."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts import apiauth, ledger
from accounts.models import (
    AllowedAddress,
    LedgerEntry,
    SenderId,
    SenderStatus,
    Service,
    ServiceKind,
    ServiceState,
)
from lib import throttle
from messaging.api.errors import WIRE_ERRORS
from messaging.models import ContentRule, IncomingMessage, Message, RuleKind
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db

TEXT = "How is are you?"
NUMBER = "888222444"


def send(api, **fields):
    return api("gateway/", **{"to_list": NUMBER, "message": TEXT, **fields}).json()


def error_of(data, name, error_from=None):
    """Assert the wire error (and its field when given); returns the payload."""
    assert data["error"] == name, data
    if error_from is not None:
        assert data["error_from"] == error_from, data
    assert data["error_description"]
    return data


def test_every_wire_error_has_a_test_here():
    # Tests named test__<error name>_… provoke that error; a new wire error needs one.
    names = [name for name in globals() if name.startswith("test__")]
    missing = [e for e in WIRE_ERRORS if not any(n.startswith(f"test__{e.lower()}") for n in names)]
    assert missing == []


# -- UNAUTHORISED_IP_ADDRESS -------------------------------------------------------------


def test__unauthorised_ip_address_when_the_allowlist_is_empty(api, api_service):
    AllowedAddress.objects.filter(service=api_service).delete()

    data = send(api)

    error_of(data, "UNAUTHORISED_IP_ADDRESS")
    assert not Message.objects.exists()


def test__unauthorised_ip_address_for_an_address_not_on_the_list(api_service):
    client = Client(REMOTE_ADDR="203.0.113.9")

    data = client.post(
        "/sms_api/gateway/",
        {"username": SEED_USERNAME, "password": SEED_PASSWORD, "to_list": NUMBER, "message": TEXT},
    ).json()

    error_of(data, "UNAUTHORISED_IP_ADDRESS")


def test__unauthorised_ip_address_for_incoming_with_an_empty_allowlist(client, api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    AllowedAddress.objects.filter(service=api_service).delete()

    data = client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"},
    ).json()

    error_of(data, "UNAUTHORISED_IP_ADDRESS")


# -- LOGIN_INCORRECT ---------------------------------------------------------------------


def test__login_incorrect_for_a_wrong_password(api):
    data = send(api, password="not-topsecret")

    error_of(data, "LOGIN_INCORRECT", "username")
    assert not Message.objects.exists()


def test__login_incorrect_for_an_unknown_username(api):
    data = send(api, username="sms_nobody")

    error_of(data, "LOGIN_INCORRECT", "username")


def test__login_incorrect_answers_the_same_for_both_causes(api):
    wrong_password = send(api, password="not-topsecret")
    unknown_user = send(api, username="sms_nobody")

    assert wrong_password == unknown_user


def test__login_incorrect_for_another_services_password(api, make_service):
    other = make_service(username="bob", balance=Decimal("5"))
    other_password = apiauth.regenerate_api_password(other)

    error_of(send(api, password=other_password), "LOGIN_INCORRECT", "username")


# -- TOO_MANY_FAILED_LOGINS --------------------------------------------------------------


@pytest.fixture
def failure_limit(settings):
    settings.API_LOGIN_FAILURE_LIMIT = 3
    settings.API_LOGIN_FAILURE_WINDOW = 600
    return 3


def test__too_many_failed_logins_refuses_even_the_right_password(api_service, failure_limit):
    # From an address off the allowlist: the service's own servers still get in with
    # the right password (test_api_login_throttle.py).
    client = Client(REMOTE_ADDR="203.0.113.9")
    fields = {"username": SEED_USERNAME, "to_list": NUMBER, "message": TEXT}
    for _ in range(failure_limit):
        wrong = client.post("/sms_api/gateway/", {**fields, "password": "guess"})
        error_of(wrong.json(), "LOGIN_INCORRECT")

    response = client.post("/sms_api/gateway/", {**fields, "password": SEED_PASSWORD})

    data = error_of(response.json(), "TOO_MANY_FAILED_LOGINS")
    assert 0 < int(response["Retry-After"]) <= 600
    assert data["retry_after"] == int(response["Retry-After"])
    assert not Message.objects.exists()


def test__too_many_failed_logins_not_reached_below_the_limit(api, failure_limit):
    for _ in range(failure_limit - 1):
        send(api, password="guess")

    assert send(api)["error"] == "OK"


def test__too_many_failed_logins_counts_unknown_usernames(api, failure_limit):
    for n in range(failure_limit):
        send(api, username=f"sms_guess{n}")

    error_of(send(api, password="guess"), "TOO_MANY_FAILED_LOGINS")


def test__too_many_failed_logins_blocks_incoming_hash_guessing(api, failure_limit):
    client = Client(REMOTE_ADDR="203.0.113.9")  # off the allowlist
    for n in range(failure_limit):
        client.post(f"/sms_api/incoming/{n:032x}/", {"from_number": "1"})
    sms_hash = apiauth.regenerate_sms_hash(Service.objects.get(api_username=SEED_USERNAME))

    response = client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"},
    )

    error_of(response.json(), "TOO_MANY_FAILED_LOGINS")
    assert "Retry-After" in response


# -- MISSING_FIELDS ----------------------------------------------------------------------


def test__missing_fields_lists_the_missing_message(api):
    data = api("gateway/", to_list=NUMBER).json()

    error_of(data, "MISSING_FIELDS", "message")
    assert data["fields"] == ["message"]


def test__missing_fields_lists_every_missing_field(client, api_service):
    data = client.post("/sms_api/gateway/", {"to_list": NUMBER}).json()

    error_of(data, "MISSING_FIELDS", "username")
    assert data["fields"] == ["username", "password", "message"]


def test__missing_fields_when_remove_special_characters_empties_the_text(api):
    # Nothing of "✓ 你好 😀" is in GSM 03.38: the text is empty once it is removed.
    data = send(api, message="✓ 你好 😀", remove_special_characters="1")

    assert data["error"] == "MISSING_FIELDS"
    assert data["fields"] == ["message"]
    assert not Message.objects.exists()


# -- recipients ---------------------------------------------------------------------------


def test__missing_recipient_data_without_to_list_or_to_file(api):
    data = api("gateway/", message=TEXT).json()

    error_of(data, "MISSING_RECIPIENT_DATA", "to_list")


def test__recipient_list_is_empty_when_no_number_is_a_polish_mobile(api):
    data = send(api, to_list="555666,+61422333444,123")

    error_of(data, "RECIPIENT_LIST_IS_EMPTY", "to_list")
    assert not Message.objects.exists()


def test__recipient_list_is_empty_names_to_file_for_a_file(api):
    upload = SimpleUploadedFile("n.txt", b"555666\n\nabc\n")

    data = api("gateway/", to_file=upload, message=TEXT).json()

    error_of(data, "RECIPIENT_LIST_IS_EMPTY", "to_file")


def test__recipient_data_conflict_for_to_list_and_to_file(api):
    upload = SimpleUploadedFile("n.txt", b"48505666333\n")

    data = api("gateway/", to_list=NUMBER, to_file=upload, message=TEXT).json()

    error_of(data, "RECIPIENT_DATA_CONFLICT", "to_list")
    assert not Message.objects.exists()


def test__recipient_data_conflict_for_to_list_and_a_plain_to_file(api):
    data = send(api, to_file="48505666333")

    error_of(data, "RECIPIENT_DATA_CONFLICT")


def test__error_saving_uploaded_file_for_a_file_over_the_limit(api, settings):
    settings.API_MAX_UPLOAD_BYTES = 100
    upload = SimpleUploadedFile("n.txt", b"48505666333\n" * 50)

    data = api("gateway/", message=TEXT, to_file=upload).json()

    error_of(data, "ERROR_SAVING_UPLOADED_FILE", "to_file")
    assert not Message.objects.exists()


def test__error_saving_uploaded_file_whatever_the_field_order(client, api_service, settings):
    # curl -F puts fields in the order given; a client may send the file first.
    settings.API_MAX_UPLOAD_BYTES = 100
    upload = SimpleUploadedFile("n.txt", b"48505666333\n" * 50)

    data = client.post(
        "/sms_api/gateway/",
        {
            "to_file": upload,
            "username": SEED_USERNAME,
            "password": SEED_PASSWORD,
            "message": TEXT,
        },
    ).json()

    error_of(data, "ERROR_SAVING_UPLOADED_FILE", "to_file")


def test__invalid_field_for_more_recipients_than_allowed(api, settings):
    settings.MAX_RECIPIENTS_PER_MESSAGE = 2

    data = send(api, to_list="48505666333,888222444,48795000111")

    error_of(data, "INVALID_FIELD", "to_list")
    assert not Message.objects.exists()


# -- content ------------------------------------------------------------------------------


@pytest.fixture
def content_rule(db):
    return ContentRule.objects.create(
        kind=RuleKind.WORD, pattern="zakazanytekst", reason="test rule"
    )


def test__message_content_warning_for_a_flagged_text(api, api_service, content_rule):
    data = send(api, message="To jest ZAKAZANYTEKST tutaj")

    error_of(data, "MESSAGE_CONTENT_WARNING", "message")
    assert not Message.objects.exists()
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("100.00")


def test__message_content_warning_overridden_by_force(api, content_rule):
    data = send(api, message="To jest ZAKAZANYTEKST tutaj", force="1")

    assert data["error"] == "OK"
    assert Message.objects.get(pk=data["message_id"]).forced is True


def test__message_content_warning_not_raised_for_a_clean_text(api, content_rule):
    data = send(api, message="Zupelnie zwyczajny tekst", force="1")

    assert Message.objects.get(pk=data["message_id"]).forced is False


def test__message_content_warning_for_the_starter_premium_rule(api):
    data = send(api, message="Wyślij SMS na numer 72550 i wygraj!")

    error_of(data, "MESSAGE_CONTENT_WARNING", "message")


# -- sender IDs ---------------------------------------------------------------------------


def test__sender_id_not_registered_for_an_unknown_name(api):
    data = send(api, **{"from": "Nieznany"})

    error_of(data, "SENDER_ID_NOT_REGISTERED", "from")
    assert not Message.objects.exists()


def test__sender_id_not_registered_for_another_customers_sender_id(api, make_service):
    other = make_service(username="bob")
    SenderId.objects.create(service=other, name="BobShop", status=SenderStatus.ALLOWED)

    data = send(api, **{"from": "BobShop"})

    error_of(data, "SENDER_ID_NOT_REGISTERED", "from")


@pytest.mark.parametrize("status", [SenderStatus.PENDING, SenderStatus.DISABLED])
def test__sender_id_not_verified_until_allowed(api, api_service, status):
    SenderId.objects.create(service=api_service, name="Claude", status=status)

    data = send(api, **{"from": "Claude"})

    error_of(data, "SENDER_ID_NOT_VERIFIED", "from")
    assert not Message.objects.exists()


def test_an_allowed_sender_id_goes_premium_at_the_premium_price(api, api_service):
    SenderId.objects.create(service=api_service, name="Claude", status=SenderStatus.ALLOWED)

    data = send(api, **{"from": "Claude"})

    assert data["error"] == "OK"
    message = Message.objects.get(pk=data["message_id"])
    assert (message.route, message.sender) == ("premium", "Claude")
    assert message.price == Decimal("0.12")
    api_service.refresh_from_db()
    assert api_service.balance == Decimal("99.88")


def test_an_allowed_number_sender_id_matches_in_any_spelling(api, api_service):
    SenderId.objects.create(
        service=api_service,
        name="48501234567",
        status=SenderStatus.ALLOWED,
        confirmed_at=timezone.now(),
    )

    data = send(api, **{"from": "+48 501 234 567"})

    assert data["error"] == "OK"
    assert Message.objects.get(pk=data["message_id"]).sender == "48501234567"


def test_an_allowed_number_not_confirmed_by_its_code_is_sender_id_not_verified(api, api_service):
    SenderId.objects.create(service=api_service, name="48501234567", status=SenderStatus.ALLOWED)

    data = send(api, **{"from": "48501234567"})

    error_of(data, "SENDER_ID_NOT_VERIFIED", "from")
    assert not Message.objects.exists()


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["tomorrow", "2024-01-01", "1.5e9", "12:00", "-"])
def test__invalid_date_tme_for_a_send_datetime_that_is_not_unix_time(api, value):
    data = send(api, send_datetime=value)

    error_of(data, "INVALID_DATE_TME", "send_datetime")
    assert not Message.objects.exists()


def test__date_set_too_far_into_future_beyond_three_months(api):
    moment = timezone.now() + timedelta(days=100)

    data = send(api, send_datetime=str(int(moment.timestamp())))

    error_of(data, "DATE_SET_TOO_FAR_INTO_FUTURE", "send_datetime")
    assert not Message.objects.exists()


def test__date_set_too_far_into_future_not_raised_within_three_months(api):
    moment = timezone.now() + timedelta(days=85)

    assert send(api, send_datetime=str(int(moment.timestamp())))["error"] == "OK"


# -- length -------------------------------------------------------------------------------


def test__message_too_long_for_919_gsm_characters(api):
    data = send(api, message="a" * 919)

    error_of(data, "MESSAGE_TOO_LONG", "message")
    assert not Message.objects.exists()


def test__message_too_long_for_403_ucs2_characters(api):
    data = send(api, message="ą" * 403)

    error_of(data, "MESSAGE_TOO_LONG", "message")


def test__message_too_long_not_raised_for_918_gsm_characters(api):
    data = send(api, message="a" * 918)

    assert data["error"] == "OK"
    assert data["message_parts"] == 6


def test__message_too_long_not_raised_for_402_ucs2_characters(api):
    data = send(api, message="ą" * 402)

    assert data["error"] == "OK"
    assert data["message_parts"] == 6


def test_a_six_part_message_costs_six_parts(api, api_service):
    send(api, message="a" * 918)

    api_service.refresh_from_db()
    assert api_service.balance == Decimal("100.00") - 6 * Decimal("0.07")


# -- money --------------------------------------------------------------------------------


@pytest.fixture
def poor_service(api_service):
    ledger.adjust(api_service.pk, Decimal("-99.99"), note="test: leave 0.01")
    api_service.refresh_from_db()
    return api_service


def test__insufficient_funds_charges_nothing(api, poor_service):
    entries = LedgerEntry.objects.filter(service=poor_service).count()

    data = send(api)

    error_of(data, "INSUFFICIENT_FUNDS")
    poor_service.refresh_from_db()
    assert poor_service.balance == Decimal("0.01")
    assert LedgerEntry.objects.filter(service=poor_service).count() == entries
    assert not Message.objects.exists()


def test__insufficient_funds_not_raised_when_the_credit_limit_covers_it(api, poor_service):
    Service.objects.filter(pk=poor_service.pk).update(credit_limit=Decimal("0.06"))

    assert send(api)["error"] == "OK"
    poor_service.refresh_from_db()
    assert poor_service.balance == Decimal("-0.06")
    assert ledger.ledger_balance(poor_service.pk) == poor_service.balance


# -- service state -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        ServiceState.NOT_ACTIVATED,
        ServiceState.SUSPENDED,
        ServiceState.DEACTIVATED,
        ServiceState.BLOCKED_BY_CUSTOMER,
        ServiceState.BLOCKED_BY_STAFF,
    ],
)
def test__service_not_active_names_the_state(api, api_service, state):
    Service.objects.filter(pk=api_service.pk).update(state=state)

    data = send(api)

    error_of(data, "SERVICE_NOT_ACTIVE")
    assert data["service_state"] == int(state)
    assert not Message.objects.exists()


def test__service_not_active_after_the_customer_blocks_it(api, api_service):
    api_service.block_by_customer()

    assert send(api)["service_state"] == 105


def test__service_not_active_after_staff_block_it(api, api_service):
    api_service.block_by_staff()

    assert send(api)["service_state"] == 106


def test__service_not_active_in_debt_below_the_credit_limit(api, api_service):
    ledger.adjust(api_service.pk, Decimal("-150.00"), note="test: staff correction")

    data = send(api)

    assert data["error"] == "SERVICE_NOT_ACTIVE"
    assert data["service_state"] == 102


# -- INVALID_FIELD ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://server.mysystem.com/reports", "not a url", "javascript:alert(1)"]
)
def test__invalid_field_for_a_notify_url_that_is_not_http(api, url):
    data = send(api, notify_url=url)

    error_of(data, "INVALID_FIELD", "notify_url")
    assert not Message.objects.exists()


def test__invalid_field_for_a_user_flag_over_255_characters(api):
    data = send(api, user_flag="x" * 256)

    error_of(data, "INVALID_FIELD", "user_flag")


def test__invalid_field_not_raised_for_a_255_character_user_flag(api):
    data = send(api, user_flag="x" * 255)

    assert Message.objects.get(pk=data["message_id"]).user_flag == "x" * 255


def test__invalid_field_for_a_json_body(client, api_service):
    response = client.post(
        "/sms_api/gateway/",
        data='{"username": "sms_claudeapi"}',
        content_type="application/json",
    )

    assert response.status_code == 200
    error_of(response.json(), "INVALID_FIELD", "Content-Type")


# -- message ids --------------------------------------------------------------------------


@pytest.mark.parametrize("message_id", ["999999", "abc", "99999999999999999999999"])
def test__message_id_not_found_for_get_progress(api, message_id):
    data = api(f"getProgress/{message_id}/").json()

    error_of(data, "MESSAGE_ID_NOT_FOUND", "message_id")


@pytest.mark.parametrize("message_id", ["999999", "abc", "99999999999999999999999"])
def test__message_id_not_found_for_cancel_sms(api, message_id):
    data = api("cancelSms", message_id=message_id).json()

    error_of(data, "MESSAGE_ID_NOT_FOUND", "message_id")


def test__missing_fields_for_cancel_sms_without_message_id(api):
    data = api("cancelSms").json()

    assert data["error"] == "MISSING_FIELDS"
    assert data["fields"] == ["message_id"]


# -- validateContent ----------------------------------------------------------------------


def test__missing_message_content_for_validate_content(api):
    data = api("validateContent").json()

    error_of(data, "MISSING_MESSAGE_CONTENT", "message")


def test_validate_content_flags_a_premium_rate_text(api):
    assert api("validateContent", message="Wyślij SMS na numer 72550").json() == {
        "error": "OK",
        "may_be_invalid": True,
    }


def test_validate_content_passes_a_clean_text(api):
    data = api("validateContent", message="Happy BirthdayBoss!").json()

    assert data == {"error": "OK", "may_be_invalid": False}


def test_validate_content_needs_credentials(api):
    data = api("validateContent", password="wrong", message="Hi").json()

    error_of(data, "LOGIN_INCORRECT")


# -- incoming -----------------------------------------------------------------------------


INCOMING = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}


def test__invalid_hash_for_an_unknown_hash(client, api_service):
    data = client.post("/sms_api/incoming/abcdef0123456789/", INCOMING).json()

    error_of(data, "INVALID_HASH", "sms_hash")


def test__invalid_hash_for_a_one_way_service(client, make_service):
    one_way = make_service(username="oneway", kind=ServiceKind.ONE_WAY)
    AllowedAddress.objects.create(service=one_way, network="127.0.0.1")
    sms_hash = apiauth.regenerate_sms_hash(one_way)

    data = client.post(f"/sms_api/incoming/{sms_hash}/", INCOMING).json()

    error_of(data, "INVALID_HASH", "sms_hash")
    assert not IncomingMessage.objects.exists()


def test__invalid_hash_for_a_replaced_hash(client, api_service):
    old = apiauth.regenerate_sms_hash(api_service)
    assert client.post(f"/sms_api/incoming/{old}/", INCOMING).json()["error"] == "OK"
    apiauth.regenerate_sms_hash(api_service)

    error_of(client.post(f"/sms_api/incoming/{old}/", INCOMING).json(), "INVALID_HASH")


def test__missing_sms_fields_lists_the_missing_ones(client, api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    data = client.post(f"/sms_api/incoming/{sms_hash}/", {"to_number": "48444555666"}).json()

    error_of(data, "MISSING_SMS_FIELDS", "from_number")
    assert data["fields"] == ["from_number", "sms_message"]


def test__invalid_date_tme_for_incoming_sms_date(client, api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    data = client.post(f"/sms_api/incoming/{sms_hash}/", {**INCOMING, "sms_date": "now"}).json()

    error_of(data, "INVALID_DATE_TME", "sms_date")


def test__too_many_requests_past_the_incoming_rate_limit(
    client, api_service, settings, monkeypatch
):
    settings.INCOMING_RATE_LIMIT = 1
    monkeypatch.setattr(throttle, "_now", lambda: 1_700_000_000.5)  # both in one second
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    assert client.post(f"/sms_api/incoming/{sms_hash}/", INCOMING).json()["error"] == "OK"

    response = client.post(f"/sms_api/incoming/{sms_hash}/", INCOMING)

    data = error_of(response.json(), "TOO_MANY_REQUESTS")
    assert data["retry_after"] == 1
    assert response["Retry-After"] == "1"
    assert IncomingMessage.objects.count() == 1


# -- malformed input still gets a wire answer -------------------------------------------------


@pytest.fixture
def quiet_client():
    """A client that returns a server error as a response instead of raising it."""
    return Client(raise_request_exception=False)


def wire_answer(response):
    assert response.status_code == 200, response.content[:200]
    return response.json()


@pytest.mark.parametrize(
    "field",
    [
        {"message": "Hi\x00there"},
        {"user_flag": "a\x00b"},
        {"from": "Ab\x00c"},
        {"notify_url": "http://server.mysystem.com/\x00"},
    ],
    ids=["message", "user_flag", "from", "notify_url"],
)
def test_a_nul_character_gets_a_wire_answer_not_a_server_error(quiet_client, api_service, field):
    fields = {"username": SEED_USERNAME, "password": SEED_PASSWORD, "to_list": NUMBER}
    response = quiet_client.get("/sms_api/gateway/", {**fields, "message": TEXT, **field})

    assert wire_answer(response)["error"]


def test_a_nul_in_the_username_is_login_incorrect(quiet_client, api_service):
    response = quiet_client.get(
        "/sms_api/gateway/",
        {
            "username": "sms_claude\x00api",
            "password": SEED_PASSWORD,
            "to_list": NUMBER,
            "message": TEXT,
        },
    )

    assert wire_answer(response)["error"] == "LOGIN_INCORRECT"


def test_a_nul_in_an_incoming_sms_gets_a_wire_answer(quiet_client, api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    response = quiet_client.get(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "a\x00b"},
    )

    assert wire_answer(response)["error"]


def test_progress_xml_stays_well_formed_for_a_user_flag_with_a_control_character(api):
    # XML 1.0 cannot carry U+000C at all: refuse the flag or leave the character out.
    data = send(api, user_flag="faktura\x0c17")
    if data["error"] != "OK":
        error_of(data, "INVALID_FIELD", "user_flag")
        return

    response = api(f"getProgress/{data['message_id']}/xml/")

    assert ET.fromstring(response.content).findtext("error") == "OK"


# -- SERVICE_UNAVAILABLE (extension) ------------------------------------------------------


def test__service_unavailable_when_the_database_does_not_answer(api, monkeypatch):
    from django.db import OperationalError
    from django.db.backends import utils

    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(utils.CursorWrapper, "execute", refuse)
    response = api("gateway/", to_list=NUMBER, message=TEXT)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert error_of(response.json(), "SERVICE_UNAVAILABLE")["retry_after"] == 5
