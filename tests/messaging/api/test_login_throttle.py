"""Failed API logins: counted per address group (IPv6 /64) and per username; the service's own
servers with the right password always get in, and no answer tells anyone else the password."""

import pytest
from django.test import Client

from accounts import apiauth
from lib import throttle
from messaging.models import IncomingMessage, Message
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db

SEND = {"to_list": "888222444", "message": "How is are you?"}
INCOMING = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}


@pytest.fixture(autouse=True)
def failure_limit(settings):
    settings.API_LOGIN_FAILURE_LIMIT = 3
    settings.API_LOGIN_FAILURE_WINDOW = 600
    return 3


@pytest.fixture
def clock(monkeypatch):
    now = [1_700_000_000.5]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def send_from(address, username=SEED_USERNAME, **credentials):
    fields = {"username": username, "password": "guess", **credentials, **SEND}
    return Client(REMOTE_ADDR=address).post("/sms_api/gateway/", fields)


def error_from(address, **credentials):
    return send_from(address, **credentials).json()["error"]


def block_the_username():
    for n in range(3):
        assert error_from(f"198.51.100.{n + 1}") == "LOGIN_INCORRECT"


def test_ten_addresses_of_one_ipv6_64_share_one_count(api_service):
    answers = [error_from(f"2001:db8:1:2::{n:x}", username=f"sms_guess{n}") for n in range(1, 11)]

    assert answers == ["LOGIN_INCORRECT"] * 3 + ["TOO_MANY_FAILED_LOGINS"] * 7
    assert error_from("2001:db8:1:3::1", username="sms_guess99") == "LOGIN_INCORRECT"


def test_an_ipv4_client_on_a_dual_stack_socket_counts_as_its_ipv4_address(api_service):
    for n in range(3):
        error_from("::ffff:192.0.2.7", username=f"sms_guess{n}")

    assert error_from("192.0.2.7", username="sms_guess9") == "TOO_MANY_FAILED_LOGINS"


def test_a_username_guessed_from_many_addresses_is_blocked_from_every_address(api_service):
    answers = [error_from(f"198.51.100.{n}") for n in range(1, 7)]

    assert answers == ["LOGIN_INCORRECT"] * 3 + ["TOO_MANY_FAILED_LOGINS"] * 3
    response = send_from("203.0.113.77")
    assert response.json()["error"] == "TOO_MANY_FAILED_LOGINS"
    assert 0 < int(response["Retry-After"]) <= 600


def test_an_unknown_username_is_blocked_like_a_known_one(api_service):
    # Otherwise the block itself would tell which usernames exist.
    for n in range(1, 4):
        error_from(f"198.51.100.{n}", username="sms_nobody")

    assert error_from("203.0.113.77", username="sms_nobody") == "TOO_MANY_FAILED_LOGINS"


def test_the_right_password_from_an_allowlisted_address_gets_in_while_the_username_is_blocked(
    api,
):
    block_the_username()
    assert error_from("203.0.113.77") == "TOO_MANY_FAILED_LOGINS"

    assert api("gateway/", **SEND).json()["error"] == "OK"  # 127.0.0.1 is on the allowlist
    # Its success does not lift the block for anyone else.
    assert error_from("203.0.113.77") == "TOO_MANY_FAILED_LOGINS"


def test_a_wrong_password_from_an_allowlisted_address_is_refused_while_blocked(api):
    block_the_username()

    assert api("gateway/", password="guess", **SEND).json()["error"] == "TOO_MANY_FAILED_LOGINS"


def test_the_right_password_from_elsewhere_answers_as_a_wrong_one_while_blocked(api, clock):
    block_the_username()

    right = send_from("203.0.113.77", password=SEED_PASSWORD)
    wrong = send_from("203.0.113.78", password="guess")

    assert right.json() == wrong.json()
    assert right.json()["error"] == "TOO_MANY_FAILED_LOGINS"
    assert right["Retry-After"] == wrong["Retry-After"]
    assert not Message.objects.exists()


def test_an_allowlisted_server_with_the_right_password_gets_in_while_its_address_is_blocked(
    api,
):
    # Say a stale client on the customer's server keeps an old password.
    for n in range(3):
        api("gateway/", password=f"old-{n}", **SEND)
    assert api("gateway/", password="old", **SEND).json()["error"] == "TOO_MANY_FAILED_LOGINS"

    assert api("gateway/", **SEND).json()["error"] == "OK"


def test_unknown_sms_hashes_from_one_ipv6_64_share_one_count(api_service):
    answers = [
        Client(REMOTE_ADDR=f"2001:db8:5:6::{n}")
        .post(f"/sms_api/incoming/{n:032x}/", INCOMING)
        .json()["error"]
        for n in range(1, 6)
    ]

    assert answers == ["INVALID_HASH"] * 3 + ["TOO_MANY_FAILED_LOGINS"] * 2


def test_the_right_sms_hash_from_an_allowlisted_address_gets_in_while_it_is_blocked(
    client, api_service
):
    for n in range(4):
        client.post(f"/sms_api/incoming/{n:032x}/", INCOMING)
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    assert client.post(f"/sms_api/incoming/{sms_hash}/", INCOMING).json()["error"] == "OK"
    assert IncomingMessage.objects.count() == 1
