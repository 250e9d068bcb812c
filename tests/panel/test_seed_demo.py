import hashlib
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from accounts import apiauth, ledger
from accounts.models import Customer, LedgerEntry, Service, ServiceKind, ServiceState
from gateways import dispatch
from gateways.models import Driver, Gateway
from messaging import services
from messaging.models import Status

pytestmark = pytest.mark.django_db

KEYS = {
    "sms2email_address",
    "sms2email_password",
    "sms2email_sender",
    "ups_subdomain",
    "panel_username",
    "panel_password",
    "api_username",
    "api_password",
    "sms_hash",
    "service_id",
    "smsc_login",
    "smsc_password",
}


def seed(*args):
    out = StringIO()
    call_command("seed_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def assert_works(demo):
    service = Service.objects.get(pk=demo["service_id"])
    assert service.api_username == demo["api_username"]
    identity = apiauth.by_username(demo["api_username"])
    assert identity.service_id == service.pk
    assert identity.check_password(demo["api_password"])
    assert apiauth.by_username(demo["smsc_login"]).check_password(
        hashlib.md5(demo["smsc_password"].encode()).hexdigest(),  # noqa: S324 (SMSC's psw)
        md5_allowed=True,
    )
    assert apiauth.by_sms_hash(demo["sms_hash"]).service_id == service.pk
    user = authenticate(username=demo["panel_username"], password=demo["panel_password"])
    assert user is not None and user.customer == service.customer
    assert service.kind == ServiceKind.TWO_WAY
    assert service.state == ServiceState.ACTIVE
    assert identity.allows_address("127.0.0.1") and identity.allows_address("::1")
    return service


def test_seed_demo_prints_complete_working_credentials():
    demo = seed()
    assert demo.keys() >= KEYS
    service = assert_works(demo)
    assert service.balance == Decimal("100.00")
    assert ledger.ledger_balance(service.pk) == service.balance


def test_seed_demo_is_idempotent_and_credentials_work_each_time():
    first = seed()
    counts = (
        get_user_model().objects.count(),
        Customer.objects.count(),
        Service.objects.count(),
    )
    second = seed()
    assert second["service_id"] == first["service_id"]
    assert second["api_username"] == first["api_username"]
    assert counts == (
        get_user_model().objects.count(),
        Customer.objects.count(),
        Service.objects.count(),
    )
    assert_works(second)
    assert Service.objects.get(pk=second["service_id"]).allowed_addresses.count() == 2


def test_balance_option_sets_the_balance_through_the_ledger():
    demo = seed("--balance", "250000")
    service = Service.objects.get(pk=demo["service_id"])
    assert service.balance == Decimal("250000")
    demo = seed("--balance", "12.5")
    service.refresh_from_db()
    assert service.balance == Decimal("12.50")
    assert ledger.ledger_balance(service.pk) == Decimal("12.50")
    assert LedgerEntry.objects.filter(service=service).count() == 2


def test_bad_balance_is_refused():
    with pytest.raises(CommandError):
        seed("--balance", "lots")
    with pytest.raises(CommandError):
        seed("--balance", "-5")


def test_seed_demo_gives_the_routes_the_simulator_and_a_demo_send_is_delivered():
    demo = seed()
    gateway = Gateway.objects.get(driver=Driver.SIMULATOR, enabled=True)
    assert gateway.serves_standard and gateway.serves_premium
    assert "simulator" in demo["gateways"]

    request = services.SendRequest(recipients=["48600100123"], text="Hej")
    message = services.submit(demo["service_id"], request).message
    Gateway.objects.filter(pk=gateway.pk).update(settings={"delay": 0})
    dispatch.dispatch_batch()
    assert message.recipients.get().status == Status.DELIVERED


def test_seed_demo_leaves_a_route_that_has_a_gateway_alone():
    upstream = Gateway.objects.create(name="Upstream", driver=Driver.SMSC, serves_standard=True)
    seed()
    simulator = Gateway.objects.get(driver=Driver.SIMULATOR)
    assert (simulator.serves_standard, simulator.serves_premium) == (False, True)
    upstream.refresh_from_db()
    assert upstream.enabled and upstream.serves_standard
    seed()  # again: nothing more to do
    assert Gateway.objects.count() == 2


def test_seed_demo_switches_sms2email_on_and_its_credentials_send_a_mail():
    from django.conf import settings

    from mailbridge import intake
    from mailbridge.models import InboundMail, Outcome
    from tests.mailbridge.conftest import mail

    demo = seed()
    assert demo["sms2email_address"] == f"box@{settings.SMS2EMAIL_DOMAIN}"
    assert demo["sms2email_sender"] == "demo@example.com"
    assert len(demo["ups_subdomain"]) == 8 and demo["ups_subdomain"].isalpha()
    body = f"{demo['sms2email_password']}\n601123456\n---\nDemo\nEND"
    raw = mail(body, sender=demo["sms2email_sender"], to=demo["sms2email_address"])
    intake.handle(
        raw, envelope_sender=demo["sms2email_sender"], recipients=[demo["sms2email_address"]]
    )
    row = InboundMail.objects.get()
    assert (row.outcome, row.service_id) == (Outcome.SENT, demo["service_id"])
    from mailbridge import pgp

    assert demo["pgp_fingerprint"] == pgp.ensure_key()  # made by seed_demo, kept after
    assert "BEGIN PGP PUBLIC KEY BLOCK" in pgp.public_key()
    again = seed()  # a fresh password each run; the old one stops working
    assert again["sms2email_password"] != demo["sms2email_password"]
    assert again["ups_subdomain"] == demo["ups_subdomain"]


def test_the_demo_service_records_when_it_was_activated():
    from django.test import Client
    from django.utils import formats, timezone

    demo = seed()
    service = Service.objects.get(pk=demo["service_id"])
    assert service.state == ServiceState.ACTIVE and service.activated_at is not None
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(get_user_model().objects.get(username=demo["admin_username"]))
    page = staff.get(f"/admin/accounts/service/{service.pk}/change/").content.decode()
    activated = page.split("Activated:", 1)[1][:300]
    shown = formats.date_format(timezone.localtime(service.activated_at), "DATETIME_FORMAT")
    assert shown in activated  # not admin's "-" for an empty date


def test_a_demo_service_made_active_earlier_without_a_time_gets_one():
    demo = seed()
    Service.objects.filter(pk=demo["service_id"]).update(activated_at=None)
    seed()
    assert Service.objects.get(pk=demo["service_id"]).activated_at is not None


def test_seed_demo_on_a_new_database_warns_of_nothing(tmp_path):
    # The gateways check warned of the two routes just before the command gave them the
    # simulator; it runs after the set-up now, and finds nothing missing.
    import os
    import subprocess
    import sys

    from tests.workers import BASE_DIR

    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/new.sqlite3",
        "SMS2EMAIL_GNUPG_HOME": str(tmp_path / "gnupg"),
    }
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=BASE_DIR, check=True)  # noqa: S603
    seeded = subprocess.run(  # noqa: S603
        [*manage, "seed_demo"], env=env, cwd=BASE_DIR, check=True, capture_output=True, text=True
    )
    assert "gateways.W001" not in seeded.stderr, seeded.stderr
    assert "simulator" in seeded.stdout
    checked = subprocess.run(  # noqa: S603
        [*manage, "seed_simulator"], env=env, cwd=BASE_DIR, capture_output=True, text=True
    )
    assert "W001" not in checked.stderr and "nothing to do" in checked.stdout
