"""The audit log: each staff change (admin, commands) makes its entry, through the real
path; entries are append-only, in the ORM, admin and (PostgreSQL) the database; an
entry lives and dies with its change's transaction."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from accounts import audit, ledger
from accounts.models import (
    ActorKind,
    AllowedAddress,
    AppendOnly,
    AuditAction,
    AuditEntry,
    OperatorStatus,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
    Service,
    ServiceState,
    Tariff,
)
from mailbridge.models import Sms2EmailSettings

pytestmark = pytest.mark.django_db

STAFF_ADDRESS = "203.0.113.9"


def only(action) -> AuditEntry:
    """The one entry of ``action`` a person made (the fixtures' own are the platform's)."""
    return AuditEntry.objects.exclude(actor_kind=ActorKind.SYSTEM).get(action=action)


def entry_text(entry: AuditEntry) -> str:
    """Everything the entry holds, as one string, to look for a secret in."""
    values = {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}
    return json.dumps(values, default=str)


def assert_by_staff(entry, admin_user):
    assert entry.actor_kind == ActorKind.STAFF
    assert entry.actor_id == admin_user.pk
    assert entry.actor_label == admin_user.username
    assert entry.address == STAFF_ADDRESS


def change_form_data(client, url) -> dict:
    """What the browser would post back from an admin change page left as it is."""
    response = client.get(url)
    assert response.status_code == 200
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None:
                value = ""
            if value is True:
                value = "on"
            if value is False:
                continue
            data[bound.html_name] = value
    return data


# -- money -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,amount,action,after",
    [
        ("top_up", "25.50", AuditAction.TOP_UP, "35.5000"),
        ("adjustment", "-4", AuditAction.ADJUSTMENT, "6.0000"),
    ],
)
def test_staff_money_in_admin_is_recorded(
    admin_client, admin_user, service, kind, amount, action, after
):
    admin_client.post(
        reverse("admin:accounts_service_money", args=[service.pk]),
        {"kind": kind, "amount": amount, "note": "wire 2026/12/7"},
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    entry = only(action)
    assert_by_staff(entry, admin_user)
    assert (entry.service_id, entry.customer_id) == (service.pk, service.customer_id)
    assert entry.changes["balance"] == ["10.0000", after]
    assert Decimal(entry.changes["amount"][1]) == Decimal(amount)
    assert entry.changes["note"] == [None, "wire 2026/12/7"]


def test_an_address_behind_a_trusted_proxy_is_the_clients(
    admin_client, admin_user, service, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    admin_client.post(
        reverse("admin:accounts_service_money", args=[service.pk]),
        {"kind": "top_up", "amount": "1", "note": ""},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{STAFF_ADDRESS}, 10.0.0.3",
    )
    assert only(AuditAction.TOP_UP).address == STAFF_ADDRESS


# -- a service's state and settings ------------------------------------------------------


@pytest.mark.parametrize(
    "action_name,before,after",
    [
        ("block_by_staff", ServiceState.ACTIVE, ServiceState.BLOCKED_BY_STAFF),
        ("activate", ServiceState.NOT_ACTIVATED, ServiceState.ACTIVE),
    ],
)
def test_staff_state_changes_are_recorded(
    admin_client, admin_user, make_service, action_name, before, after
):
    service = make_service(state=before)
    admin_client.post(
        reverse("admin:accounts_service_changelist"),
        {"action": action_name, "_selected_action": [service.pk]},
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    entry = only(AuditAction.STATE)
    assert_by_staff(entry, admin_user)
    assert entry.changes == {"state": [before, after]}
    assert entry.service_id == service.pk


def test_a_refused_state_change_leaves_no_entry(admin_client, make_service):
    service = make_service(state=ServiceState.ACTIVE)
    admin_client.post(
        reverse("admin:accounts_service_changelist"),
        {"action": "unblock_by_staff", "_selected_action": [service.pk]},
    )
    assert not AuditEntry.objects.filter(action=AuditAction.STATE).exists()


def test_staff_edit_of_a_service_records_each_changed_field(admin_client, admin_user, service):
    cheap = Tariff.objects.create(
        name="Cheap",
        standard_part_price=Decimal("0.05"),
        premium_part_price=Decimal("0.09"),
        own_gateway_part_price=Decimal("0.01"),
    )
    old_tariff, old_username = service.tariff.name, service.api_username
    url = reverse("admin:accounts_service_change", args=[service.pk])
    data = change_form_data(admin_client, url)
    data.update(
        state=str(ServiceState.SUSPENDED),
        tariff=str(cheap.pk),
        credit_limit="20.00",
        api_username="renamed_by_staff",
        callback_url="https://example.com/cb",
    )
    response = admin_client.post(url, data, REMOTE_ADDR=STAFF_ADDRESS)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = only(AuditAction.SERVICE_CHANGED)
    assert_by_staff(entry, admin_user)
    assert entry.changes == {
        "state": [ServiceState.ACTIVE, ServiceState.SUSPENDED],
        "tariff": [old_tariff, "Cheap"],
        "credit_limit": ["0.0000", "20.00"],
        "api_username": [old_username, "renamed_by_staff"],
        "callback_url": ["", "https://example.com/cb"],
    }


def test_an_unchanged_save_in_admin_records_nothing(admin_client, service):
    url = reverse("admin:accounts_service_change", args=[service.pk])
    admin_client.post(url, change_form_data(admin_client, url))
    assert not AuditEntry.objects.filter(action=AuditAction.SERVICE_CHANGED).exists()


# -- credentials and the allowlist, by staff ---------------------------------------------


def test_staff_allowlist_entries_are_recorded(admin_client, admin_user, service):
    admin_client.post(
        reverse("admin:accounts_allowedaddress_add"),
        {"service": service.pk, "network": "192.0.2.0/24", "note": "office",
         "created_at_0": "2026-12-07", "created_at_1": "10:00:00"},
        REMOTE_ADDR=STAFF_ADDRESS,
    )  # fmt: skip
    entry = only(AuditAction.ALLOWLIST_ADDED)
    assert AllowedAddress.objects.filter(service=service, network="192.0.2.0/24").exists()
    assert_by_staff(entry, admin_user)
    assert entry.target == "192.0.2.0/24"
    assert entry.changes == {"network": [None, "192.0.2.0/24"], "note": [None, "office"]}


def test_staff_moving_an_allowlist_entry_to_another_service_is_recorded_on_both(
    admin_client, admin_user, service, make_service
):
    other = make_service(username="bob")
    row = AllowedAddress.objects.create(service=service, network="192.0.2.7", note="office")
    url = reverse("admin:accounts_allowedaddress_change", args=[row.pk])
    data = change_form_data(admin_client, url)
    data.update(service=other.pk, created_at_0="2026-12-07", created_at_1="10:00:00")
    response = admin_client.post(url, data, REMOTE_ADDR=STAFF_ADDRESS)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert AllowedAddress.objects.get(pk=row.pk).service_id == other.pk
    removed = only(AuditAction.ALLOWLIST_REMOVED)
    assert_by_staff(removed, admin_user)
    assert (removed.service_id, removed.target) == (service.pk, "192.0.2.7")
    added = only(AuditAction.ALLOWLIST_ADDED)
    assert (added.service_id, added.customer_id) == (other.pk, other.customer_id)
    assert added.changes["network"] == [None, "192.0.2.7"]


def test_the_ups_subdomain_command_is_recorded_as_the_command_without_the_subdomain(make_service):
    service = make_service()
    row = Sms2EmailSettings.objects.create(service=service)
    out = StringIO()
    call_command("regenerate_subdomain", str(service.pk), stdout=out)
    new_subdomain = out.getvalue().strip()
    row.refresh_from_db()
    assert row.ups_subdomain == new_subdomain
    entry = only(AuditAction.SMS2EMAIL_SUBDOMAIN)
    assert (entry.actor_kind, entry.actor_label, entry.actor_id) == (
        ActorKind.COMMAND,
        "regenerate_subdomain",
        None,
    )
    assert entry.address is None
    assert entry.changes == {"ups_subdomain": [audit.MASK, audit.MASK]}
    assert new_subdomain not in entry_text(entry)


def test_staff_sms2email_security_settings_are_recorded(admin_client, admin_user, service):
    row = Sms2EmailSettings.objects.create(service=service, enabled=True)
    url = reverse("admin:mailbridge_sms2emailsettings_change", args=[row.pk])
    data = change_form_data(admin_client, url)
    data["accept_unsecured"] = "on"
    data["md5_window"] = "900"
    response = admin_client.post(url, data, REMOTE_ADDR=STAFF_ADDRESS)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = only(AuditAction.SMS2EMAIL_SETTINGS)
    assert_by_staff(entry, admin_user)
    assert entry.changes == {"accept_unsecured": [False, True], "md5_window": [300, 900]}
    assert row.password not in entry_text(entry)


# -- sender-ID moderation ----------------------------------------------------------------


def test_staff_allowing_sender_ids_is_recorded(admin_client, admin_user, service):
    shop = SenderId.objects.create(service=service, name="MyShop")
    SenderId.objects.create(service=service, name="Allowed", status=SenderStatus.ALLOWED)
    admin_client.post(
        reverse("admin:accounts_senderid_changelist"),
        {
            "action": "allow",
            "_selected_action": list(SenderId.objects.values_list("pk", flat=True)),
        },
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    entry = only(AuditAction.SENDER_MODERATED)  # the one already allowed did not change
    assert_by_staff(entry, admin_user)
    assert (entry.target, entry.service_id) == ("MyShop", service.pk)
    assert entry.changes == {"status": [SenderStatus.PENDING, SenderStatus.ALLOWED]}
    shop.refresh_from_db()
    assert shop.status == SenderStatus.ALLOWED


def test_staff_editing_a_sender_and_its_operator_statuses_is_recorded(
    admin_client, admin_user, service
):
    shop = SenderId.objects.create(service=service, name="MyShop")
    url = reverse("admin:accounts_senderid_change", args=[shop.pk])
    data = change_form_data(admin_client, url)
    data["status"] = str(SenderStatus.DISABLED)
    data["comment"] = "misleading"
    prefix = "operator_registrations"
    row = next(i for i in range(4) if data[f"{prefix}-{i}-operator"] == "play")
    data[f"{prefix}-{row}-status"] = str(OperatorStatus.REFUSED)
    response = admin_client.post(url, data, REMOTE_ADDR=STAFF_ADDRESS)
    assert response.status_code == 302, response.content.decode()[:3000]

    moderated = only(AuditAction.SENDER_MODERATED)
    assert_by_staff(moderated, admin_user)
    assert moderated.changes == {
        "status": [SenderStatus.PENDING, SenderStatus.DISABLED],
        "comment": ["", "misleading"],
    }
    at_operator = only(AuditAction.SENDER_OPERATOR)
    assert SenderOperatorStatus.objects.get(sender=shop, operator="play").status == 3
    assert at_operator.service_id == service.pk
    assert at_operator.target == "MyShop · Play"
    assert at_operator.changes["status"] == [None, OperatorStatus.REFUSED]


def test_staff_deleting_a_sender_in_the_services_inline_is_recorded(
    admin_client, admin_user, service
):
    shop = SenderId.objects.create(service=service, name="MyShop", comment="shop")
    url = reverse("admin:accounts_service_change", args=[service.pk])
    data = change_form_data(admin_client, url)
    [prefix] = [k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == shop.pk]
    data[f"{prefix}-DELETE"] = "on"
    response = admin_client.post(url, data, REMOTE_ADDR=STAFF_ADDRESS)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert not SenderId.objects.filter(pk=shop.pk).exists()
    entry = only(AuditAction.SENDER_DELETED)
    assert_by_staff(entry, admin_user)
    assert (entry.service_id, entry.target) == (service.pk, "MyShop")
    assert entry.changes["name"] == ["MyShop", None]


def test_staff_deleting_a_sender_id_is_recorded(admin_client, admin_user, service):
    shop = SenderId.objects.create(service=service, name="MyShop", comment="shop")
    admin_client.post(
        reverse("admin:accounts_senderid_delete", args=[shop.pk]),
        {"post": "yes"},
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    assert not SenderId.objects.filter(pk=shop.pk).exists()
    entry = only(AuditAction.SENDER_DELETED)
    assert_by_staff(entry, admin_user)
    assert (entry.service_id, entry.target) == (service.pk, "MyShop")
    assert entry.changes == {
        "name": ["MyShop", None],
        "status": [SenderStatus.PENDING, None],
        "comment": ["shop", None],
    }


# -- tariffs -------------------------------------------------------------------------------


def test_staff_tariff_changes_are_recorded(admin_client, admin_user, db):
    prices = {
        "standard_part_price": "0.0700",
        "premium_part_price": "0.1200",
        "own_gateway_part_price": "0.0100",
    }
    admin_client.post(
        reverse("admin:accounts_tariff_add"), {"name": "Bulk", **prices}, REMOTE_ADDR=STAFF_ADDRESS
    )
    tariff = Tariff.objects.get(name="Bulk")
    created = only(AuditAction.TARIFF_CREATED)
    assert_by_staff(created, admin_user)
    assert (created.service_id, created.target) == (None, "Bulk")
    assert created.changes["standard_part_price"] == [None, "0.0700"]

    admin_client.post(
        reverse("admin:accounts_tariff_change", args=[tariff.pk]),
        {"name": "Bulk", **prices, "premium_part_price": "0.1000"},
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    changed = only(AuditAction.TARIFF_CHANGED)
    assert changed.changes == {"premium_part_price": ["0.1200", "0.1000"]}

    admin_client.post(
        reverse("admin:accounts_tariff_delete", args=[tariff.pk]),
        {"post": "yes"},
        REMOTE_ADDR=STAFF_ADDRESS,
    )
    assert not Tariff.objects.filter(pk=tariff.pk).exists()
    deleted = only(AuditAction.TARIFF_DELETED)
    assert deleted.changes["name"] == ["Bulk", None]


# -- commands ------------------------------------------------------------------------------


def test_seed_demo_records_its_money_and_credentials_as_the_command_without_secrets():
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    demo = json.loads(out.getvalue())
    entries = list(AuditEntry.objects.filter(service_id=demo["service_id"]))
    assert {(e.actor_kind, e.actor_label, e.address) for e in entries} == {
        (ActorKind.COMMAND, "seed_demo", None)
    }
    money = [e for e in entries if e.action == AuditAction.ADJUSTMENT]
    assert [e.changes["balance"] for e in money] == [["0.0000", "100.0000"]]
    assert {AuditAction.API_PASSWORD, AuditAction.SMS_HASH} <= {e.action for e in entries}
    text = " ".join(entry_text(e) for e in entries)
    for key in ("api_password", "sms_hash", "sms2email_password", "smsc_password"):
        assert demo[key] not in text


# -- append-only ---------------------------------------------------------------------------


@pytest.fixture
def entry(service):
    with transaction.atomic():
        return audit.record(AuditAction.CALLBACK_URL, service=service, changes={"x": [1, 2]})


def test_an_entry_cannot_be_changed_or_deleted_through_the_orm(entry):
    entry.target = "rewritten"
    attempts = [
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(target="rewritten"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["target"]),
        # A new instance carrying an existing entry's key would be saved as an UPDATE.
        lambda: AuditEntry(
            pk=entry.pk, action=entry.action, object_type="x", actor_label="x", target="rewritten"
        ).save(),
        lambda: entry.save(force_update=True),
        lambda: entry.save(update_fields=["target"]),
        lambda: AuditEntry._base_manager.filter(pk=entry.pk).update(target="rewritten"),
        lambda: AuditEntry._base_manager.filter(pk=entry.pk).delete(),
        lambda: AuditEntry.objects.update_or_create(pk=entry.pk, defaults={"target": "rewritten"}),
        lambda: AuditEntry.objects.bulk_create(
            [AuditEntry(pk=entry.pk, action=entry.action, object_type="x", target="rewritten")],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["target"],
        ),
    ]
    for attempt in attempts:
        # Refused, or (an INSERT with a key already taken) failing: never an UPDATE.
        with pytest.raises((AppendOnly, IntegrityError)), transaction.atomic():
            attempt()
    fresh = AuditEntry.objects.get(pk=entry.pk)
    assert fresh.target == ""


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql", ["UPDATE accounts_auditentry SET target = 'x'", "DELETE FROM accounts_auditentry"]
)
def test_postgres_refuses_raw_update_and_delete(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert AuditEntry.objects.filter(pk=entry.pk, target="").exists()


def test_admin_shows_the_log_read_only(admin_client, entry):
    changelist = admin_client.get(reverse("admin:accounts_auditentry_changelist"))
    assert changelist.status_code == 200
    assert entry.service_label in changelist.content.decode()
    assert admin_client.get(reverse("admin:accounts_auditentry_add")).status_code == 403
    url = reverse("admin:accounts_auditentry_change", args=[entry.pk])
    page = admin_client.get(url)
    assert page.status_code == 200  # the view page
    assert 'name="_save"' not in page.content.decode()
    admin_client.post(url, {"target": "rewritten"})
    delete = admin_client.post(
        reverse("admin:accounts_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    bulk = admin_client.post(
        reverse("admin:accounts_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk, target="").exists()


def test_admin_filters_and_searches_the_log(admin_client, entry):
    url = reverse("admin:accounts_auditentry_changelist")
    assert entry.service_label in admin_client.get(url, {"q": entry.service_label}).content.decode()
    found = admin_client.get(url, {"action__exact": AuditAction.TOP_UP}).context["cl"].result_count
    assert found == 1  # the fixture's own top-up
    found = admin_client.get(url, {"action__exact": AuditAction.CALLBACK_URL}).context["cl"]
    assert found.result_count == 1


def test_deleting_a_service_keeps_its_entries(make_service):
    service = make_service()  # no money, so no ledger entry protects it
    service.block_by_customer()
    label, service_id = str(service), service.pk
    AllowedAddress.objects.create(service=service, network="192.0.2.1")
    service.delete()
    assert not Service.objects.filter(pk=service_id).exists()
    kept = AuditEntry.objects.filter(service_id=service_id).order_by("id")
    assert [e.action for e in kept] == [
        AuditAction.STATE,
        AuditAction.ALLOWLIST_ADDED,
        AuditAction.ALLOWLIST_REMOVED,  # the cascade, recorded too
    ]
    assert {e.service_label for e in kept} == {label}


# -- one transaction with the change --------------------------------------------------------


def test_a_change_rolled_back_leaves_no_entry(service):
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.top_up(service.pk, Decimal("5"))
        raise RuntimeError("the caller's transaction fails")
    assert (
        not AuditEntry.objects.filter(action=AuditAction.TOP_UP, service=service)
        .exclude(changes__note=[None, "test setup"])
        .exists()
    )


def test_a_change_whose_entry_fails_is_not_made(service, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("the audit log refused the entry")

    monkeypatch.setattr(AuditEntry.objects, "create", broken)
    with pytest.raises(DatabaseError):
        ledger.top_up(service.pk, Decimal("5"))
    with pytest.raises(DatabaseError):
        service.block_by_customer()
    service.refresh_from_db()
    assert service.balance == Decimal("10.0000")
    assert service.state == ServiceState.ACTIVE
    assert ledger.ledger_balance(service.pk) == Decimal("10.0000")


def test_outside_a_request_or_command_the_platform_acts(service):
    entry = AuditEntry.objects.filter(action=AuditAction.TOP_UP, service=service).get()
    assert (entry.actor_kind, entry.actor_label, entry.address) == (
        ActorKind.SYSTEM,
        "system",
        None,
    )


def test_a_secret_passed_to_record_is_masked_whatever_its_value(service):
    with transaction.atomic():
        entry = audit.record(
            AuditAction.API_PASSWORD,
            service=service,
            changes={"api_password": ["old-secret", "new-secret"]},
        )
    assert entry.changes == {"api_password": [audit.MASK, audit.MASK]}
    assert "secret" not in entry_text(entry)
    [shown] = audit.changes_of(entry)
    assert (shown.masked, shown.before) == (True, audit.MASK)
