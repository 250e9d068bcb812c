"""One customer never sees or changes another's objects: 404, exactly as if missing."""

import pytest
from django.urls import reverse

from accounts.models import AllowedAddress, ServiceState

pytestmark = pytest.mark.django_db

SERVICE_PAGES = [
    "service",
    "change_history",
    "sms_settings",
    "ip_addresses",
    "callback_url",
    "sender_ids",
]
SERVICE_ACTIONS = [
    "service_block",
    "service_unblock",
    "regenerate_api_password",
    "regenerate_sms_hash",
    "ip_addresses",
    "callback_url",
    "sender_ids",
]


@pytest.fixture
def mallory_service(make_service):
    service = make_service(username="mallory")
    AllowedAddress.objects.create(service=service, network="198.51.100.1")
    return service


@pytest.mark.parametrize("name", SERVICE_PAGES)
def test_pages_of_another_customers_service_are_not_found(alice_client, mallory_service, name):
    assert alice_client.get(reverse(name, args=[mallory_service.pk])).status_code == 404


@pytest.mark.parametrize("name", SERVICE_PAGES)
def test_missing_service_is_the_same_404(alice_client, name):
    assert alice_client.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("name", SERVICE_ACTIONS)
def test_actions_on_another_customers_service_change_nothing(alice_client, mallory_service, name):
    before = type(mallory_service).objects.get(pk=mallory_service.pk)
    response = alice_client.post(
        reverse(name, args=[mallory_service.pk]),
        {"network": "203.0.113.9", "callback_url": "https://evil.example/", "name": "Evil"},
    )
    assert response.status_code == 404
    after = type(mallory_service).objects.get(pk=mallory_service.pk)
    assert after.state == before.state == ServiceState.ACTIVE
    assert after.api_password_digest == before.api_password_digest
    assert after.sms_hash_digest == before.sms_hash_digest
    assert after.callback_url == ""
    assert list(after.allowed_addresses.values_list("network", flat=True)) == ["198.51.100.1"]
    assert not after.sender_ids.exists()


def test_cannot_delete_another_customers_ip_entry_through_own_service(
    alice_client, service, mallory_service
):
    entry = mallory_service.allowed_addresses.get()
    response = alice_client.post(reverse("ip_address_delete", args=[service.pk, entry.pk]))
    assert response.status_code == 404
    assert AllowedAddress.objects.filter(pk=entry.pk).exists()
