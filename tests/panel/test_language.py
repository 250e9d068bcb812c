import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.ipallow import InvalidEntry, canonical

pytestmark = pytest.mark.django_db


def test_panel_speaks_polish_by_default():
    html = Client().get(reverse("login")).content.decode()
    assert "Zaloguj się" in html
    assert 'lang="pl"' in html


def test_english_on_request():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    assert "Sign in" in html and "Zaloguj" not in html


def test_service_tabs_carry_the_original_polish_labels(service):
    polish = Client()
    polish.force_login(service.customer.user)
    html = polish.get(reverse("service", args=[service.pk])).content.decode()
    for label in [
        "Interfejsy",
        "Bramka SMS",
        "Ustawienia SMS",
        "Integracja (API)",
        "Adresy IP",
        "Callback URL",
        "Nazwy nadawcy",
    ]:
        assert label in html


def test_allowlist_error_in_polish():
    with (
        translation.override("pl"),
        pytest.raises(InvalidEntry, match="czy chodziło o 192.0.2.0/24"),
    ):
        canonical("192.0.2.9/24")
