"""The error pages speak the reader's language (Django's own are English only)."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "title"), [("pl", "Nie znaleziono strony"), ("en", "Page not found")]
)
def test_a_page_that_is_not_there(service, language, title):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    response = client.get(f"/services/{service.pk + 1000}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert title in page and f'lang="{language}"' in page
    assert "Not Found" not in page


@pytest.mark.parametrize(("language", "title"), [("pl", "Brak dostępu"), ("en", "Access denied")])
def test_a_page_that_is_not_allowed(admin_user, language, title):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(admin_user)
    response = client.get("/admin/messaging/message/add/")  # messages are never added by hand
    assert response.status_code == 403
    assert title in response.content.decode()


@pytest.mark.parametrize(
    ("language", "bad", "broken"),
    [("pl", "Nieprawidłowe żądanie", "Błąd serwera"), ("en", "Bad request", "Server error")],
)
def test_a_bad_request_and_a_server_error(language, bad, broken):
    request = RequestFactory().get("/")
    with translation.override(language):
        assert bad in defaults.bad_request(request, SuspiciousOperation()).content.decode()
        assert broken in defaults.server_error(request).content.decode()
