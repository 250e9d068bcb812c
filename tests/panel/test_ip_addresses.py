import pytest
from django.urls import reverse

from accounts import apiauth

pytestmark = pytest.mark.django_db


def url(service):
    return reverse("ip_addresses", args=[service.pk])


def test_add_single_addresses_and_ranges(alice_client, service):
    for text in ["203.0.113.7", "192.0.2.0/24", "2001:db8::/48", "::1"]:
        response = alice_client.post(url(service), {"network": text})
        assert response.status_code == 302, response.context["form"].errors
    assert sorted(service.allowed_addresses.values_list("network", flat=True)) == sorted(
        ["203.0.113.7", "192.0.2.0/24", "2001:db8::/48", "::1"]
    )
    identity = apiauth.by_username(service.api_username)
    assert identity.allows_address("192.0.2.77")
    assert identity.allows_address("2001:db8::5")
    assert not identity.allows_address("198.51.100.1")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("300.1.1.1", "is not an IP address"),
        ("api.example.com", "is not an IP address"),
        ("192.0.2.9/24", "did you mean 192.0.2.0/24"),
        ("", ""),
    ],
)
def test_malformed_entry_is_refused_with_a_clear_form_error(alice_client, service, text, fragment):
    response = alice_client.post(url(service), {"network": text}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].errors["network"]
    assert len(errors) == 1 and fragment in errors[0]
    assert fragment in response.content.decode().replace("&quot;", '"')
    assert not service.allowed_addresses.exists()


def test_duplicate_is_refused(alice_client, service):
    alice_client.post(url(service), {"network": "203.0.113.7"})
    response = alice_client.post(url(service), {"network": "203.0.113.7/32"})
    assert response.status_code == 200
    assert "already on the list" in response.context["form"].errors["network"][0]
    assert service.allowed_addresses.count() == 1


def test_remove_entry(alice_client, service):
    alice_client.post(url(service), {"network": "203.0.113.7"})
    entry = service.allowed_addresses.get()
    response = alice_client.post(
        reverse("ip_address_delete", args=[service.pk, entry.pk]), {"confirm": "yes"}
    )
    assert response.status_code == 302
    assert not service.allowed_addresses.exists()


def test_remove_asks_first(alice_client, service):
    alice_client.post(url(service), {"network": "203.0.113.7"})
    entry = service.allowed_addresses.get()
    response = alice_client.get(reverse("ip_address_delete", args=[service.pk, entry.pk]))
    assert "the API then refuses every call" in response.content.decode()
    assert service.allowed_addresses.exists()


def test_removing_one_of_several_does_not_warn_of_an_empty_list(alice_client, service):
    alice_client.post(url(service), {"network": "203.0.113.7"})
    alice_client.post(url(service), {"network": "203.0.113.8"})
    entry = service.allowed_addresses.get(network="203.0.113.7")
    html = alice_client.get(reverse("ip_address_delete", args=[service.pk, entry.pk])).content
    assert "calls from 203.0.113.7 are refused" in html.decode()
    assert "every call" not in html.decode()


def test_empty_list_refuses_every_address(service):
    assert not service.allowed_addresses.exists()
    identity = apiauth.by_username(service.api_username)
    assert not identity.allows_address("127.0.0.1")
    assert not identity.allows_address("::1")
