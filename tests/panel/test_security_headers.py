"""Security headers on every kind of page: a Content-Security-Policy without inline
script, Referrer-Policy and Permissions-Policy everywhere; Cache-Control: no-store on
every page behind the login and on the CSV exports. The URLconf is walked, so a new
URL is checked as a private page unless it is listed here as public or an API."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AllowedAddress, SenderId
from contacts import imports
from contacts.models import Contact, ContactGroup, MessageTemplate
from mailbridge.models import RecipientAddress, Sms2EmailSettings
from messaging.models import StopEntry
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.sending import send

pytestmark = pytest.mark.django_db

# Pages anyone may open: they hold no customer's data.
PUBLIC = {
    "login",
    "api_docs",
    "set_language",
    "mailbridge:public_key",
    "mailbridge:confirm_address",
}
# The SMS APIs authenticate each call themselves; their answers are not pages.
API_PREFIXES = ("sms_api/", "sys/")


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                continue  # Django's admin: test_admin_pages
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from ((r, namespace + (n or "")) for r, n in _patterns(entry.url_patterns, route))
        elif isinstance(entry, URLPattern):
            yield route, entry.name


PATTERNS = list(_patterns(get_resolver().url_patterns))
PRIVATE = sorted(
    name for route, name in PATTERNS if name not in PUBLIC and not route.startswith(API_PREFIXES)
)


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (d.strip().split() for d in policy.split(";") if d.strip())
    return {d[0]: d[1:] for d in parts}


def assert_everywhere_headers(response):
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert csp["img-src"] == ["'self'", "data:"]  # images only: no script from data:
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]  # no inline style either, admin included
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def assert_no_store(response):
    assert "no-store" in response.get("Cache-Control", ""), response.get("Cache-Control")


@pytest.fixture
def objects(service, simulator):
    """Something behind every id a panel URL takes."""
    return {
        "service_id": service.pk,
        "message_id": send(service, ["48600100123"]).pk,
        "entry_id": AllowedAddress.objects.create(service=service, network="192.0.2.1").pk,
        "sender_id": SenderId.objects.create(service=service, name="48600100123").pk,
        "interface": "http-api",
        "state": "on",
        "stop_id": StopEntry.objects.create(customer=service.customer, number="48600100999").pk,
        "address_id": RecipientAddress.objects.create(
            settings=Sms2EmailSettings.objects.create(service=service, enabled=True),
            address="anna@firma.pl",
        ).pk,
        "template_id": MessageTemplate.objects.create(
            customer=service.customer, name="Szablon", text="Tekst"
        ).pk,
        "key": imported(service.customer).key,
        "contact_id": Contact.objects.create(customer=service.customer, number="48600100123").pk,
        "group_id": ContactGroup.objects.create(customer=service.customer, name="VIP").pk,
    }


def imported(customer):
    """An import of the customer's, done."""
    job = imports.upload(customer, "kontakty.csv", b"600100200;Jan\r\n")
    imports.start(
        job, mapping=["number", "first_name"], header=False, group=None, new_group="",
        update_existing=True,
    )  # fmt: skip
    return job


def test_the_urlconf_has_private_pages_to_check():
    assert {"dashboard", "send_sms", "balance_csv", "message_recipients_csv"} <= set(PRIVATE)


@pytest.mark.parametrize("name", PRIVATE)
def test_a_page_behind_the_login_is_never_stored(alice_client, objects, name):
    route = next(r for r, n in PATTERNS if n == name)
    kwargs = {k: v for k, v in objects.items() if f"<{k}>" in route or f":{k}>" in route}
    response = alice_client.get(reverse(name, kwargs=kwargs))

    assert response.status_code in (200, 302, 405), response.status_code
    assert_no_store(response)
    assert_everywhere_headers(response)


@pytest.mark.parametrize("name", ["balance_csv", "incoming_csv", "message_recipients_csv"])
def test_a_csv_export_is_never_stored(alice_client, objects, name):
    kwargs = {"service_id": objects["service_id"]}
    if name == "message_recipients_csv":
        kwargs["message_id"] = objects["message_id"]
    response = alice_client.get(reverse(name, kwargs=kwargs))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert_no_store(response)


@pytest.mark.parametrize(
    "path", ["/login/", "/docs/api/", "/sms2email/key.asc", "/sms2email/confirm/no-such-link/"]
)
def test_public_pages(client, path):
    response = client.get(path)

    assert response.status_code in (200, 404)  # the key exists once one is made
    assert_everywhere_headers(response)


def test_the_login_page_is_never_stored(client):
    assert_no_store(client.get("/login/"))


def test_a_confirmation_link_page_is_never_stored(client):
    assert_no_store(client.get("/sms2email/confirm/no-such-link/"))


def test_admin_pages(admin_client, client, service):
    pages = [
        "/admin/",
        "/admin/accounts/service/",
        "/admin/accounts/service/add/",
        f"/admin/accounts/service/{service.pk}/change/",
        "/admin/messaging/message/",
    ]
    for path in pages:
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert_no_store(response)
        assert_everywhere_headers(response)
    login = client.get("/admin/login/")
    assert_no_store(login)
    assert_everywhere_headers(login)


def test_api_answers_carry_the_headers_too(api_service):
    client = Client()
    telecube = client.post(
        "/sms_api/gateway/", {"username": SEED_USERNAME, "password": SEED_PASSWORD}
    )
    smsc = client.get("/sys/balance.php", {"login": SEED_USERNAME, "psw": SEED_PASSWORD})

    for response in (telecube, smsc):
        assert response.status_code == 200
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert "Content-Security-Policy" in response
