import pytest
from django.urls import reverse

from accounts import apiauth

pytestmark = pytest.mark.django_db

YES = {"confirm": "yes"}  # the answer of the confirmation page (panel.confirm)


def test_new_api_password_is_shown_once_and_replaces_the_old(alice_client, service):
    old_digest = service.api_password_digest
    response = alice_client.post(reverse("regenerate_api_password", args=[service.pk]), YES)
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    password = response.context["secret"]
    assert password in response.content.decode()
    service.refresh_from_db()
    assert service.api_password_digest != old_digest
    assert password not in service.api_password_digest
    assert apiauth.by_username(service.api_username).check_password(password)
    # The settings page never shows it again.
    page = alice_client.get(reverse("sms_settings", args=[service.pk])).content.decode()
    assert password not in page
    assert service.api_username in page


def test_regenerating_again_invalidates_the_previous_password(alice_client, service):
    first = alice_client.post(reverse("regenerate_api_password", args=[service.pk]), YES)
    second = alice_client.post(reverse("regenerate_api_password", args=[service.pk]), YES)
    service.refresh_from_db()
    identity = apiauth.by_username(service.api_username)
    assert not identity.check_password(first.context["secret"])
    assert identity.check_password(second.context["secret"])


def test_new_sms_hash_is_shown_once_and_finds_the_service(alice_client, service):
    old = service.sms_hash_digest
    response = alice_client.post(reverse("regenerate_sms_hash", args=[service.pk]), YES)
    sms_hash = response.context["secret"]
    service.refresh_from_db()
    assert service.sms_hash_digest != old
    assert apiauth.by_sms_hash(sms_hash).service_id == service.pk
    assert (
        sms_hash
        not in alice_client.get(reverse("sms_settings", args=[service.pk])).content.decode()
    )


def test_regeneration_asks_first(alice_client, service):
    digest, sms_hash = service.api_password_digest, service.sms_hash_digest
    for name in ("regenerate_api_password", "regenerate_sms_hash"):
        assert "secret" not in alice_client.get(reverse(name, args=[service.pk])).context
        assert "secret" not in alice_client.post(reverse(name, args=[service.pk])).context
    service.refresh_from_db()
    assert (service.api_password_digest, service.sms_hash_digest) == (digest, sms_hash)
