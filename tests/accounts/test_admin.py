from datetime import time
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from accounts.models import (
    AllowedAddress,
    LedgerKind,
    OperatorStatus,
    QuietHours,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
    ServiceState,
)

pytestmark = pytest.mark.django_db

ACCOUNT_MODELS = [m for m in apps.get_app_config("accounts").get_models()]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def populated(service):
    AllowedAddress.objects.create(service=service, network="127.0.0.1")
    shop = SenderId.objects.create(service=service, name="MyShop")
    SenderOperatorStatus.objects.create(
        sender=shop, operator="play", status=OperatorStatus.ACCEPTED
    )
    QuietHours.objects.create(service=service, monday_from=time(8), monday_until=time(20))
    return service


def test_every_accounts_model_is_registered():
    assert all(model in admin.site._registry for model in ACCOUNT_MODELS)


@pytest.mark.parametrize("model", ACCOUNT_MODELS, ids=lambda m: m.__name__)
def test_admin_pages_load_for_staff(admin_client, populated, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "a"}).status_code == 200
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    add = admin_client.get(admin_url(model, "add"))
    model_admin = admin.site._registry[model]
    assert add.status_code == (200 if model_admin.has_add_permission(add.wsgi_request) else 403)


@pytest.mark.parametrize("model", ACCOUNT_MODELS, ids=lambda m: m.__name__)
def test_admin_pages_refuse_non_staff(alice_client, populated, model):
    response = alice_client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_ledger_is_read_only_in_admin(admin_client, populated):
    from accounts.models import LedgerEntry

    entry = LedgerEntry.objects.first()
    response = admin_client.post(
        admin_url(LedgerEntry, "change", entry.pk), {"amount": "9999", "kind": "top_up"}
    )
    assert response.status_code == 403
    assert admin_client.get(admin_url(LedgerEntry, "add")).status_code == 403


def test_staff_tops_up_through_the_ledger(admin_client, service, admin_user):
    url = reverse("admin:accounts_service_money", args=[service.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"kind": "top_up", "amount": "25.50", "note": "invoice 7"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.balance == Decimal("35.50")
    entry = service.ledger_entries.order_by("-id").first()
    assert (entry.kind, entry.amount, entry.created_by) == (
        LedgerKind.TOP_UP,
        Decimal("25.50"),
        admin_user,
    )


def test_staff_adjusts_down_but_cannot_top_up_negative(admin_client, service):
    url = reverse("admin:accounts_service_money", args=[service.pk])
    response = admin_client.post(url, {"kind": "top_up", "amount": "-5"})
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    admin_client.post(url, {"kind": "adjustment", "amount": "-4", "note": "correction"})
    service.refresh_from_db()
    assert service.balance == Decimal("6.00")


def test_money_view_refuses_non_staff(alice_client, service):
    response = alice_client.post(
        reverse("admin:accounts_service_money", args=[service.pk]),
        {"kind": "top_up", "amount": "1000"},
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.balance == Decimal("10.00")


def test_staff_actions_block_unblock_activate(admin_client, service, make_service):
    fresh = make_service(state=ServiceState.NOT_ACTIVATED)
    changelist = reverse("admin:accounts_service_changelist")
    admin_client.post(changelist, {"action": "block_by_staff", "_selected_action": [service.pk]})
    service.refresh_from_db()
    assert service.state == ServiceState.BLOCKED_BY_STAFF
    admin_client.post(changelist, {"action": "unblock_by_staff", "_selected_action": [service.pk]})
    admin_client.post(changelist, {"action": "activate", "_selected_action": [fresh.pk]})
    service.refresh_from_db()
    fresh.refresh_from_db()
    assert service.state == ServiceState.ACTIVE
    assert fresh.state == ServiceState.ACTIVE


def test_staff_moderates_sender_ids(admin_client, populated):
    sender = SenderId.objects.get()
    admin_client.post(
        reverse("admin:accounts_senderid_changelist"),
        {"action": "allow", "_selected_action": [sender.pk]},
    )
    sender.refresh_from_db()
    assert sender.status == SenderStatus.ALLOWED


def test_staff_adds_a_service_with_generated_credentials(admin_client, service):
    response = admin_client.post(
        reverse("admin:accounts_service_add"),
        {
            "customer": service.customer.pk,
            "name": "From admin",
            "kind": "one_way",
            "state": "101",
            "tariff": "",
            "credit_limit": "0",
            "api_username": "",
            "callback_url": "",
            "allowed_addresses-TOTAL_FORMS": "1",
            "allowed_addresses-INITIAL_FORMS": "0",
            "allowed_addresses-0-network": "192.0.2.5/24",
            "sender_ids-TOTAL_FORMS": "0",
            "sender_ids-INITIAL_FORMS": "0",
            "quiet_hours-TOTAL_FORMS": "0",
            "quiet_hours-INITIAL_FORMS": "0",
        },
    )
    # The malformed range is refused with the same hint the panel gives.
    assert response.status_code == 200
    assert "did you mean 192.0.2.0/24" in response.content.decode()


def test_staff_set_a_customers_language(admin_client, service):
    customer = service.customer
    url = reverse("admin:accounts_customer_change", args=[customer.pk])
    assert 'name="language"' in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "user": customer.user.pk,
            "name": customer.name,
            "phone": "",
            "created_at_0": "2026-01-02",
            "created_at_1": "10:00:00",
            "language": "en",
            "services-TOTAL_FORMS": "1",
            "services-INITIAL_FORMS": "1",
            "services-0-id": service.pk,
            "services-0-customer": customer.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.language == "en"
