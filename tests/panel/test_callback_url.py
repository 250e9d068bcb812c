import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_save_and_clear_callback_url(alice_client, service):
    url = reverse("callback_url", args=[service.pk])
    response = alice_client.post(url, {"callback_url": "https://example.com/sms/cb?x=1"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.callback_url == "https://example.com/sms/cb?x=1"
    alice_client.post(url, {"callback_url": ""})
    service.refresh_from_db()
    assert service.callback_url == ""


@pytest.mark.parametrize("bad", ["ftp://example.com/x", "javascript:alert(1)", "not a url"])
def test_only_http_and_https_urls_are_accepted(alice_client, service, bad):
    response = alice_client.post(reverse("callback_url", args=[service.pk]), {"callback_url": bad})
    assert response.status_code == 200
    assert response.context["form"].errors["callback_url"]
    service.refresh_from_db()
    assert service.callback_url == ""
