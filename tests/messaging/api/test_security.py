"""Who may call the SMS API: customer isolation, the IP allowlist, credential changes."""

from decimal import Decimal

import pytest
from django.test import Client

from accounts import apiauth
from accounts.models import AllowedAddress, Service
from messaging import services
from messaging.models import Recipient, Status
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db

SEND = {"to_list": "888222444", "message": "How is are you?"}


def call(client, path="gateway/", username=SEED_USERNAME, password=SEED_PASSWORD, **fields):
    fields = {"username": username, "password": password, **SEND, **fields}
    return client.post(f"/sms_api/{path}", fields).json()


# -- another customer's messages -------------------------------------------------------------


@pytest.fixture
def other_message(make_service):
    """A PENDING message of another customer's service."""
    other = make_service(username="mallory", balance=Decimal("10.00"))
    request = services.SendRequest(recipients=["48505666333"], text="Mallory's own")
    return services.submit(other.pk, request).message


def missing_id(other_message) -> int:
    return other_message.pk + 1000


def test_progress_of_another_customers_message_is_not_found(api, other_message):
    data = api(f"getProgress/{other_message.pk}/").json()

    assert data["error"] == "MESSAGE_ID_NOT_FOUND"
    assert "recipient_list" not in data


def test_progress_of_another_customers_message_answers_as_a_missing_one(api, other_message):
    theirs = api(f"getProgress/{other_message.pk}/").json()
    missing = api(f"getProgress/{missing_id(other_message)}/").json()

    assert theirs == missing


def test_progress_as_a_field_of_another_customers_message_answers_as_a_missing_one(
    api, other_message
):
    theirs = api("getProgress/", message_id=str(other_message.pk)).json()
    missing = api("getProgress/", message_id=str(missing_id(other_message))).json()

    assert theirs["error"] == "MESSAGE_ID_NOT_FOUND"
    assert theirs == missing


def test_cancel_of_another_customers_message_answers_as_a_missing_one(api, other_message):
    theirs = api("cancelSms", message_id=str(other_message.pk)).json()
    missing = api("cancelSms", message_id=str(missing_id(other_message))).json()

    assert theirs["error"] == "MESSAGE_ID_NOT_FOUND"
    assert theirs == missing


def test_cancel_of_another_customers_message_changes_nothing(api, other_message):
    balance = other_message.service.balance

    api("cancelSms", message_id=str(other_message.pk))

    recipient = Recipient.objects.get(message=other_message)
    assert (recipient.status, recipient.refunded) == (Status.PENDING, False)
    assert Service.objects.get(pk=other_message.service_id).balance == balance


def test_a_customers_own_credentials_do_not_reach_another_service_of_theirs(
    api, api_service, make_service
):
    # Two services of one customer are two API accounts: message ids do not cross.
    sibling = make_service(customer=api_service.customer, balance=Decimal("1.00"))
    request = services.SendRequest(recipients=["48505666333"], text="Sibling")
    message = services.submit(sibling.pk, request).message

    assert api(f"getProgress/{message.pk}/").json()["error"] == "MESSAGE_ID_NOT_FOUND"


# -- the allowlist and X-Forwarded-For -------------------------------------------------------


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(api_service):
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert call(client)["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_x_forwarded_for_from_a_trusted_proxy_is_the_client(api_service, settings):
    settings.TRUSTED_PROXIES = ["203.0.113.9"]
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert call(client)["error"] == "OK"


def test_a_trusted_proxy_itself_is_not_the_client(api_service, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert call(client)["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_a_forged_hop_before_the_proxys_own_is_ignored(api_service, settings):
    # The client sent "X-Forwarded-For: 127.0.0.1"; our proxy appended its real address.
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7")

    assert call(client)["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_x_forwarded_for_does_not_spoof_the_incoming_allowlist(api_service):
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    data = client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"},
    ).json()

    assert data["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_a_cidr_entry_allows_every_address_in_it(api_service):
    AllowedAddress.objects.create(service=api_service, network="203.0.113.0/24")

    assert call(Client(REMOTE_ADDR="203.0.113.9"))["error"] == "OK"
    assert call(Client(REMOTE_ADDR="203.0.114.9"))["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_an_ipv6_entry_allows_that_address(api_service):
    AllowedAddress.objects.create(service=api_service, network="2001:db8::/48")

    assert call(Client(REMOTE_ADDR="2001:db8:0:1::5"))["error"] == "OK"


def test_an_allowlist_entry_of_another_service_does_not_count(api_service, make_service):
    other = make_service(username="bob")
    AllowedAddress.objects.create(service=other, network="203.0.113.9")

    assert call(Client(REMOTE_ADDR="203.0.113.9"))["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_removing_the_allowlist_entry_refuses_at_once(api, api_service):
    assert api("gateway/", **SEND).json()["error"] == "OK"  # the identity is now cached

    AllowedAddress.objects.get(service=api_service, network="127.0.0.1").delete()

    assert api("gateway/", **SEND).json()["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_adding_an_allowlist_entry_allows_at_once(api_service):
    client = Client(REMOTE_ADDR="198.51.100.7")
    assert call(client)["error"] == "UNAUTHORISED_IP_ADDRESS"

    AllowedAddress.objects.create(service=api_service, network="198.51.100.7")

    assert call(client)["error"] == "OK"


# -- credential changes ----------------------------------------------------------------------


def test_a_regenerated_password_replaces_the_old_one_at_once(api, api_service):
    assert api("gateway/", **SEND).json()["error"] == "OK"  # the identity is now cached

    new_password = apiauth.regenerate_api_password(Service.objects.get(pk=api_service.pk))

    assert api("gateway/", **SEND).json()["error"] == "LOGIN_INCORRECT"
    assert api("gateway/", password=new_password, **SEND).json()["error"] == "OK"


def test_a_renamed_api_username_stops_working_at_once(api, api_service):
    assert api("gateway/", **SEND).json()["error"] == "OK"  # the identity is now cached

    service = Service.objects.get(pk=api_service.pk)  # as the panel or admin loads it
    service.api_username = "sms_renamed"
    service.save()

    assert api("gateway/", **SEND).json()["error"] == "LOGIN_INCORRECT"
    assert api("gateway/", username="sms_renamed", **SEND).json()["error"] == "OK"


def test_a_regenerated_sms_hash_replaces_the_old_one_at_once(client, api_service):
    fields = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}
    old = apiauth.regenerate_sms_hash(api_service)
    assert client.post(f"/sms_api/incoming/{old}/", fields).json()["error"] == "OK"

    new = apiauth.regenerate_sms_hash(Service.objects.get(pk=api_service.pk))

    assert client.post(f"/sms_api/incoming/{old}/", fields).json()["error"] == "INVALID_HASH"
    assert client.post(f"/sms_api/incoming/{new}/", fields).json()["error"] == "OK"


def test_the_api_password_is_not_stored_in_clear(api_service):
    stored = Service.objects.filter(pk=api_service.pk).values_list(
        "api_password_digest", flat=True
    )[0]

    assert SEED_PASSWORD not in stored
    assert apiauth.by_username(api_service.api_username).check_password(SEED_PASSWORD)


def test_the_panel_password_is_not_an_api_password(api_service):
    user = api_service.customer.user  # panel login: pw-claude (conftest)

    data = call(Client(), username=user.username, password="pw-" + user.username)

    assert data["error"] == "LOGIN_INCORRECT"


def test_moving_an_allowlist_entry_to_another_service_refuses_at_once(
    api, api_service, make_service
):
    # Staff can change an entry's service in admin (AllowedAddressAdmin).
    assert api("gateway/", **SEND).json()["error"] == "OK"  # the identity is now cached
    other = make_service(username="bob")

    entry = AllowedAddress.objects.get(service=api_service, network="127.0.0.1")
    entry.service = other
    entry.save()

    assert api("gateway/", **SEND).json()["error"] == "UNAUTHORISED_IP_ADDRESS"


def test_usernames_cannot_be_discovered_from_outside_the_allowlist(api_service):
    # An unknown name and a known name with a wrong password answer alike, from
    # anywhere; only the right password reveals that the address is the problem.
    outsider = Client(REMOTE_ADDR="203.0.113.9")

    unknown = call(outsider, username="sms_nobody", password="guess")
    wrong_password = call(outsider, password="guess")
    right_password = call(outsider)

    assert unknown == wrong_password
    assert unknown["error"] == "LOGIN_INCORRECT"
    assert right_password["error"] == "UNAUTHORISED_IP_ADDRESS"
