"""Historia zmian: each change a customer makes in the panel is recorded with their
address and no secret, and the service's page lists its entries, staff's too."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts import audit, ledger
from accounts.models import ActorKind, AllowedAddress, AuditAction, AuditEntry, ServiceState
from mailbridge.models import Sms2EmailSettings
from messaging import callbacks

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.23"
YES = {"confirm": "yes"}


def only(action) -> AuditEntry:
    return AuditEntry.objects.exclude(actor_kind=ActorKind.SYSTEM).get(action=action)


def post(client, name, service, data=None, **kwargs):
    return client.post(
        reverse(name, kwargs={"service_id": service.pk, **kwargs}), data or {}, REMOTE_ADDR=ADDRESS
    )


def assert_by_customer(entry, service):
    assert entry.actor_kind == ActorKind.CUSTOMER
    assert entry.actor_id == service.customer.user_id
    assert entry.actor_label == service.customer.user.username
    assert entry.address == ADDRESS
    assert (entry.service_id, entry.customer_id) == (service.pk, service.customer_id)


def entry_text(entry) -> str:
    values = {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}
    return json.dumps(values, default=str)


# -- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "view,action,field",
    [
        ("regenerate_api_password", AuditAction.API_PASSWORD, "api_password"),
        ("regenerate_sms_hash", AuditAction.SMS_HASH, "sms_hash"),
    ],
)
def test_a_new_api_secret_is_recorded_masked(alice_client, service, view, action, field):
    response = post(alice_client, view, service, YES)
    secret = response.context["secret"]
    entry = only(action)
    assert_by_customer(entry, service)
    assert entry.changes == {field: [audit.MASK, audit.MASK]}
    assert secret not in entry_text(entry)


def test_a_new_signing_secret_is_recorded_masked(alice_client, service):
    before = callbacks.signing_secret(service)
    post(alice_client, "regenerate_signing_secret", service, YES)
    service.refresh_from_db()
    after = callbacks.signing_secret(service)
    assert after != before
    entry = only(AuditAction.SIGNING_SECRET)
    assert_by_customer(entry, service)
    assert entry.changes == {"signing_secret": [audit.MASK, audit.MASK]}
    text = entry_text(entry)
    assert after not in text and before not in text
    assert service.callback_key_version not in text


def test_the_question_before_a_new_password_records_nothing(alice_client, service):
    alice_client.get(reverse("regenerate_api_password", args=[service.pk]))
    assert not AuditEntry.objects.filter(action=AuditAction.API_PASSWORD).exists()


# -- allowlist and callback URL --------------------------------------------------------------


def test_allowlist_additions_and_removals_are_recorded(alice_client, service):
    post(alice_client, "ip_addresses", service, {"network": "192.0.2.0/24", "note": "office"})
    added = only(AuditAction.ALLOWLIST_ADDED)
    assert_by_customer(added, service)
    assert added.changes == {"network": [None, "192.0.2.0/24"], "note": [None, "office"]}

    post(alice_client, "ip_addresses", service, {"network": "203.0.113.7", "note": ""})
    assert AuditEntry.objects.filter(action=AuditAction.ALLOWLIST_ADDED).first().changes == {
        "network": [None, "203.0.113.7"]  # an empty note is no change
    }
    AllowedAddress.objects.filter(network="203.0.113.7").delete()

    entry = AllowedAddress.objects.get(service=service)
    post(alice_client, "ip_address_delete", service, YES, entry_id=entry.pk)
    assert not AllowedAddress.objects.filter(pk=entry.pk).exists()
    removed = only(AuditAction.ALLOWLIST_REMOVED)
    assert_by_customer(removed, service)
    assert removed.changes == {"network": ["192.0.2.0/24", None], "note": ["office", None]}


def test_callback_url_changes_are_recorded_before_and_after(alice_client, service):
    post(alice_client, "callback_url", service, {"callback_url": "https://example.com/a"})
    post(alice_client, "callback_url", service, {"callback_url": "https://example.com/a"})
    post(alice_client, "callback_url", service, {"callback_url": ""})
    entries = AuditEntry.objects.filter(action=AuditAction.CALLBACK_URL).order_by("id")
    assert [e.changes["callback_url"] for e in entries] == [
        ["", "https://example.com/a"],
        ["https://example.com/a", ""],  # the unchanged save between made no entry
    ]
    assert_by_customer(entries[0], service)


def test_a_credential_in_a_callback_url_is_never_kept(alice_client, service):
    # A receiver's password or token in the URL would stay readable in the
    # append-only log after the customer rotated it.
    secret_url = "https://shop:s3cr3tpw@example.com:8443/sms?token=t0k3n&site=1"
    post(alice_client, "callback_url", service, {"callback_url": secret_url})
    service.refresh_from_db()
    assert service.callback_url == secret_url  # the service itself keeps it, to post there
    entry = only(AuditAction.CALLBACK_URL)
    assert entry.changes["callback_url"] == [
        "",
        "https://shop:••••@example.com:8443/sms?token=••••&site=••••",
    ]
    page = alice_client.get(reverse("change_history", args=[service.pk])).content.decode()
    for secret in ("s3cr3tpw", "t0k3n"):
        assert secret not in str(entry.changes) and secret not in page


# -- Sms2Email -------------------------------------------------------------------------------


@pytest.fixture
def sms2email(alice_client, service):
    post(alice_client, "sms2email_on", service)
    return Sms2EmailSettings.objects.get(service=service)


def test_switching_sms2email_on_and_off_is_recorded(alice_client, service, sms2email):
    assert only(AuditAction.SMS2EMAIL_ON).changes == {"enabled": [False, True]}
    post(alice_client, "sms2email_off", service)
    off = only(AuditAction.SMS2EMAIL_OFF)
    assert_by_customer(off, service)
    assert off.changes == {"enabled": [True, False]}


def test_sms2email_security_settings_are_recorded(alice_client, service, sms2email):
    form = {
        "max_numbers": "10",
        "authorised_senders": "jan@firma.pl",
        "reports_to_sender": "on",
        "incoming_recipients": "",
        "accept_unsecured": "",
        "accept_password": "",  # was on
        "accept_md5": "on",
        "md5_window": "120",  # was 300
        "require_pgp": "on",  # was off
    }
    response = post(alice_client, "sms2email_settings", service, form)
    assert response.status_code == 302
    entry = only(AuditAction.SMS2EMAIL_SETTINGS)
    assert_by_customer(entry, service)
    assert entry.changes == {
        "authorised_senders": ["", "jan@firma.pl"],
        "accept_password": [True, False],
        "md5_window": [300, 120],
        "require_pgp": [False, True],
    }


@pytest.mark.parametrize(
    "view,action,field",
    [
        ("sms2email_password", AuditAction.SMS2EMAIL_PASSWORD, "password"),
        ("sms2email_subdomain", AuditAction.SMS2EMAIL_SUBDOMAIN, "ups_subdomain"),
    ],
)
def test_new_sms2email_credentials_are_recorded_masked(
    alice_client, service, sms2email, view, action, field
):
    old = (sms2email.password, sms2email.ups_subdomain)
    post(alice_client, view, service, YES)
    sms2email.refresh_from_db()
    new = (sms2email.password, sms2email.ups_subdomain)
    assert old != new
    entry = only(action)
    assert_by_customer(entry, service)
    assert entry.changes == {field: [audit.MASK, audit.MASK]}
    text = entry_text(entry)
    assert not any(value in text for value in (*old, *new))


# -- the service's state ---------------------------------------------------------------------


def test_the_customers_block_and_unblock_are_recorded(alice_client, service):
    post(alice_client, "service_block", service, YES)
    post(alice_client, "service_unblock", service)
    states = AuditEntry.objects.filter(action=AuditAction.STATE).order_by("id")
    assert [e.changes["state"] for e in states] == [
        [ServiceState.ACTIVE, ServiceState.BLOCKED_BY_CUSTOMER],
        [ServiceState.BLOCKED_BY_CUSTOMER, ServiceState.ACTIVE],
    ]
    assert_by_customer(states[0], service)


def test_switching_an_interface_off_is_recorded(alice_client, service):
    post(alice_client, "interface_switch", service, interface="http-api", state="off")
    entry = only(AuditAction.SERVICE_CHANGED)
    assert_by_customer(entry, service)
    assert entry.changes == {"http_api_enabled": [True, False]}


# -- the page --------------------------------------------------------------------------------


def page_of(client, service, **params):
    response = client.get(reverse("change_history", args=[service.pk]), params)
    assert response.status_code == 200
    return response


def test_the_page_lists_the_customers_and_staffs_changes_newest_first(
    alice_client, service, admin_user
):
    post(alice_client, "callback_url", service, {"callback_url": "https://example.com/cb"})
    post(alice_client, "regenerate_api_password", service, YES)
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(admin_user)
    staff.post(
        reverse("admin:accounts_service_money", args=[service.pk]),
        {"kind": "top_up", "amount": "1234.5", "note": ""},
        REMOTE_ADDR="203.0.113.250",
    )
    response = page_of(alice_client, service)
    rows = response.context["rows"]
    assert [r.entry.action for r in rows][:3] == [
        AuditAction.TOP_UP,
        AuditAction.API_PASSWORD,
        AuditAction.CALLBACK_URL,
    ]
    html = response.content.decode()
    assert "Change history" in html
    assert "Staff" in html and admin_user.username not in html
    assert "203.0.113.250" not in html  # staff's own address is not the customer's business
    assert ADDRESS in html
    assert "https://example.com/cb" in html
    assert "Balance: 10.00 PLN → 1,244.50 PLN" in html  # the reader's way, currency once
    assert "Amount: — → 1,234.5000 PLN" in html
    assert "changed (not shown)" in html
    assert f'href="{reverse("change_history", args=[service.pk])}"' in html


def test_the_page_speaks_polish(service):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(service.customer.user)
    with transaction.atomic():
        ledger.top_up(service.pk, Decimal("1234.5"))
    html = page_of(client, service).content.decode()
    assert "Historia zmian" in html
    assert "doładowanie konta" in html.lower()
    assert "1 244,50 zł" in html.replace("\xa0", " ")


def test_another_customers_history_is_not_found(alice_client, make_service):
    other = make_service(username="mallory", balance=Decimal("5"))
    response = alice_client.get(reverse("change_history", args=[other.pk]))
    assert response.status_code == 404


def test_only_the_services_own_entries_are_listed(alice_client, service, make_service):
    other = make_service(customer=service.customer, name="Second")
    with transaction.atomic():
        ledger.top_up(other.pk, Decimal("7"))
    rows = page_of(alice_client, service).context["rows"]
    assert {r.entry.service_id for r in rows} == {service.pk}


def test_a_new_owner_does_not_see_the_previous_owners_history(client, service, make_service):
    # Staff move a service to another customer: its new reader must not learn who
    # changed it before, nor from which addresses.
    post_as_alice = Client()
    post_as_alice.force_login(service.customer.user)
    post(post_as_alice, "callback_url", service, {"callback_url": "https://first-owner.example/cb"})
    alice = service.customer.user.username
    bob = make_service(username="bob").customer
    service.refresh_from_db()
    service.customer = bob
    service.save()
    client.force_login(bob.user)
    post(client, "callback_url", service, {"callback_url": "https://bob.example/cb"})

    rows = page_of(client, service).context["rows"]
    assert [r.entry.changes["callback_url"] for r in rows] == [
        ["https://first-owner.example/cb", "https://bob.example/cb"]  # bob's own change only
    ]
    assert {r.entry.customer_id for r in rows} == {bob.pk}
    assert alice not in page_of(client, service).content.decode()


def test_the_page_is_paginated(alice_client, service):
    for n in range(55):
        post(alice_client, "callback_url", service, {"callback_url": f"https://e.example/{n}"})
    first = page_of(alice_client, service)
    assert len(first.context["rows"]) == 50
    assert "https://e.example/54" in first.content.decode()
    second = page_of(alice_client, service, page=2)
    # The five oldest callbacks and the setup's top-up.
    assert len(second.context["rows"]) == 6
    assert "https://e.example/0" in second.content.decode()


def test_a_service_with_no_changes_says_so(alice_client, make_service, service):
    fresh = make_service(customer=service.customer, name="Quiet")
    html = page_of(alice_client, fresh).content.decode()
    assert "No changes recorded yet." in html


def test_a_staff_user_in_the_panel_acts_as_the_customer(service):
    user = service.customer.user
    get_user_model().objects.filter(pk=user.pk).update(is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    post(client, "callback_url", service, {"callback_url": "https://example.com/x"})
    assert only(AuditAction.CALLBACK_URL).actor_kind == ActorKind.CUSTOMER
