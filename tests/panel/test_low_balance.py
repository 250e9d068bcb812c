"""The low-balance alert in the panel: its threshold on the SMS settings page, its
warning on the dashboard (accounts.alerts decides and mails)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Service

pytestmark = pytest.mark.django_db


def settings_url(service):
    return reverse("sms_settings", args=[service.pk])


def threshold_of(service):
    return Service.objects.values_list("low_balance_threshold", "low_balance_alerted").get(
        pk=service.pk
    )


def test_the_settings_page_offers_the_threshold_in_each_language(alice_client, service):
    polish = alice_client.get(settings_url(service), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Powiadom, gdy saldo spadnie poniżej" in polish and "Zostaw puste" in polish
    english = alice_client.get(settings_url(service), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alert me when the balance falls below" in english
    assert 'aria-describedby="low-balance-help"' in english


def test_a_polish_amount_sets_the_threshold_and_rearms(alice_client, service):
    Service.objects.filter(pk=service.pk).update(low_balance_alerted=True)
    response = alice_client.post(
        settings_url(service), {"low_balance_threshold": "12,50"}, HTTP_ACCEPT_LANGUAGE="pl"
    )
    assert response.status_code == 302
    assert threshold_of(service) == (Decimal("12.50"), False)
    page = alice_client.get(settings_url(service), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert 'value="12,50"' in page


def test_an_english_amount_is_read_the_english_way(alice_client, service):
    alice_client.post(
        settings_url(service), {"low_balance_threshold": "7.25"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert threshold_of(service) == (Decimal("7.25"), False)


def test_empty_switches_the_alert_off(alice_client, service):
    Service.objects.filter(pk=service.pk).update(
        low_balance_threshold=Decimal("5"), low_balance_alerted=True
    )
    response = alice_client.post(
        settings_url(service), {"low_balance_threshold": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Low-balance alert switched off." in response.content.decode()
    assert threshold_of(service) == (None, False)


@pytest.mark.parametrize("typed", ["-1", "abc", "0.001"])
def test_a_wrong_amount_is_refused_and_changes_nothing(alice_client, service, typed):
    response = alice_client.post(
        settings_url(service), {"low_balance_threshold": typed}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert threshold_of(service) == (None, False)


def test_another_customers_service_is_not_reachable(client, make_service, service):
    mallory = make_service(username="mallory")
    client.force_login(mallory.customer.user)
    response = client.post(settings_url(service), {"low_balance_threshold": "1"})
    assert response.status_code == 404
    assert threshold_of(service) == (None, False)


def test_the_dashboard_warns_of_a_balance_below_the_threshold(alice_client, service, make_service):
    quiet = make_service(customer=service.customer, name="Quiet", balance=Decimal("1.00"))
    Service.objects.filter(pk=service.pk).update(low_balance_threshold=Decimal("20"))
    Service.objects.filter(pk=quiet.pk).update(low_balance_threshold=Decimal("1"))
    polish = alice_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="pl")
    [low] = polish.context["overview"].attention
    assert low.service == service
    html = polish.content.decode()
    assert html.count('class="low-balance"') == 1
    assert "Saldo 10,00 zł jest poniżej progu powiadomienia 20,00 zł." in html
    english = alice_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english.count('class="low-balance"') == 1
    assert "The balance of 10.00 PLN is below your alert threshold of 20.00 PLN." in english


def test_the_dashboard_is_quiet_without_a_threshold(alice_client, service):
    html = alice_client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="low-balance"' not in html and "alert threshold" not in html
