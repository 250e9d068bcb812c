"""Create (or refresh) the demo customer and print its credentials as JSON.

Idempotent: the same user, customer and service are reused; each run sets a new
panel password, API password and SMS hash (only their digests are stored, so
printing working credentials means making new ones) and resets the balance.
The routes no enabled gateway serves get the simulator (``seed_simulator``), so
a demo send is delivered whatever starts the platform: ``make run`` or the
README's PostgreSQL steps. Sms2Email is switched on for the demo service, with
demo@example.com as its authorised sender and a fresh password, and the
platform PGP key is made if there is none.

It lives in the panel app because it sets up every app's part of the demo.
"""

import json
import secrets
from decimal import Decimal, InvalidOperation
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import apiauth, audit, ledger
from accounts.models import AllowedAddress, Customer, Service, ServiceKind, ServiceState, Tariff
from lib import sealed
from mailbridge import pgp
from mailbridge.models import Sms2EmailSettings, generate_password
from mailbridge.senders import set_authorised

DEMO_USERNAME = "demo"
DEMO_ADMIN = "admin"
DEMO_SERVICE = "Demo SMS"
DEMO_ADDRESSES = ("127.0.0.1", "::1")
DEMO_MAIL_SENDER = "demo@example.com"


class Command(BaseCommand):
    help = "Create or refresh the demo account and print its credentials."
    # The system checks run after the set-up, not before: on a new database the
    # gateways check would warn of the very routes this command gives the simulator.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--balance", default="100.00", help="set the demo balance in PLN (default 100.00)"
        )

    def handle(self, *args, **options):
        try:
            balance = Decimal(options["balance"])
        except InvalidOperation:
            raise CommandError(f"--balance must be a number, got {options['balance']!r}") from None
        if balance < 0:
            raise CommandError("--balance must not be negative")

        with transaction.atomic(), audit.command("seed_demo"):
            result = self._seed(balance)
            gateways = StringIO()
            call_command("seed_simulator", stdout=gateways)
        result["gateways"] = gateways.getvalue().strip()
        # The platform PGP key, so that the demo's key.asc and encrypted mail work at once.
        result["pgp_fingerprint"] = pgp.ensure_key()
        pgp.stop_agent(if_started=True)  # making it started one
        self.check()  # what is still missing once the demo is set up

        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")

    def _seed(self, balance: Decimal) -> dict:
        User = get_user_model()
        user, _ = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": "demo@example.com"}
        )
        panel_password = secrets.token_urlsafe(12)
        user.set_password(panel_password)
        user.is_active = True
        user.save()

        admin, _ = User.objects.get_or_create(
            username=DEMO_ADMIN, defaults={"email": "admin@example.com"}
        )
        admin_password = secrets.token_urlsafe(12)
        admin.set_password(admin_password)
        admin.is_staff = admin.is_superuser = admin.is_active = True
        admin.save()

        customer, _ = Customer.objects.get_or_create(
            user=user, defaults={"name": "Demo sp. z o.o."}
        )
        service = Service.objects.filter(customer=customer, name=DEMO_SERVICE).first()
        if service is None:
            service = Service.objects.create(
                customer=customer,
                name=DEMO_SERVICE,
                kind=ServiceKind.TWO_WAY,
                state=ServiceState.ACTIVE,
                tariff=Tariff.default(),
            )
        elif service.state != ServiceState.ACTIVE or service.activated_at is None:
            service.state = ServiceState.ACTIVE
            service.save(update_fields=["state"])  # and when it was activated
        for address in DEMO_ADDRESSES:
            AllowedAddress.objects.get_or_create(
                service=service, network=address, defaults={"note": "demo"}
            )

        api_password = apiauth.regenerate_api_password(service)
        sms_hash = apiauth.regenerate_sms_hash(service)

        service.refresh_from_db(fields=["balance"])
        difference = balance - service.balance
        if difference:
            ledger.adjust(service.pk, difference, note="seed_demo: set demo balance")

        sms2email, _ = Sms2EmailSettings.objects.get_or_create(service=service)
        sms2email_password = generate_password()
        sms2email.password_sealed = sealed.seal(sms2email_password)
        sms2email.enabled = True
        sms2email.save()
        set_authorised(sms2email, DEMO_MAIL_SENDER)

        return {
            "panel_username": DEMO_USERNAME,
            "panel_password": panel_password,
            "api_username": service.api_username,
            "api_password": api_password,
            "sms_hash": sms_hash,
            # The SMSC-compatible API (/sys/*.php) takes the same credentials.
            "smsc_login": service.api_username,
            "smsc_password": api_password,
            "service_id": service.pk,
            "balance": f"{balance:.2f}",
            "admin_username": DEMO_ADMIN,
            "admin_password": admin_password,
            "sms2email_address": sms2email.box_address,
            "sms2email_password": sms2email_password,
            "sms2email_sender": DEMO_MAIL_SENDER,
            "ups_subdomain": sms2email.ups_subdomain,
        }
