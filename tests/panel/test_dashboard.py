from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import ServiceState

pytestmark = pytest.mark.django_db


def test_dashboard_lists_own_services_with_state_and_balance(alice_client, service, make_service):
    second = make_service(
        customer=service.customer, name="Second line", state=ServiceState.BLOCKED_BY_STAFF
    )
    make_service(username="mallory", name="Mallory's secret service")
    response = alice_client.get(reverse("dashboard"))
    html = response.content.decode()
    assert list(response.context["services"]) == sorted([service, second], key=lambda s: s.name)
    assert "Mallory" not in html
    assert "10,00 PLN" in html or "10.00 PLN" in html
    assert f'href="{reverse("service", args=[second.pk])}"' in html


def test_user_without_customer_sees_no_services(client, django_user_model, service):
    user = django_user_model.objects.create_user("lonely", password="x")
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert list(response.context["services"]) == []


def test_service_page_shows_balance_and_tabs(alice_client, service):
    service_url = reverse("service", args=[service.pk])
    html = alice_client.get(service_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ["sms_settings", "ip_addresses", "callback_url", "sender_ids"]:
        assert reverse(name, args=[service.pk]) in html
    assert "10.00 PLN" in html
    assert service.balance == Decimal("10.00")
