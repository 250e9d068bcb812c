"""Every kind of page works under the Content-Security-Policy in a real browser: the
panel's pages, the send form's live counter, the language switch, Django's admin and
both sign-in pages. The browser reports each blocked script or style on the console."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import AllowedAddress, SenderId
from tests.sending import send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    """What the browser said about the policy (and any script error), page by page."""
    heard = []
    page.on(
        "console",
        lambda m: (
            heard.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or "Permissions-Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: heard.append(f"{page.url}: {e}"))
    return heard


def visit(page, url):
    response = page.goto(url)
    assert response.ok, url
    assert "script-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("load")


def sign_in(page, url, username, password, button):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(button)
    page.wait_for_load_state("load")


def test_the_policy_is_enforced_and_the_listener_hears_it(page, live_server, violations):
    visit(page, f"{live_server.url}/login/")
    # What an injected inline script would do: the browser refuses it and says so.
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.ran") is None
    assert any("Content Security Policy" in v for v in violations)


def test_panel_pages_raise_no_violation(page, live_server, service, simulator, violations):
    base = live_server.url
    message = send(service, ["48600100123"])
    AllowedAddress.objects.create(service=service, network="192.0.2.1")
    SenderId.objects.create(service=service, name="Shop")
    visit(page, f"{base}/docs/api/")
    sign_in(page, f"{base}/login/", "alice", "pw-alice", "button[type=submit] >> text=Sign in")
    page.wait_for_url(re.compile(r"/$"))

    tabs = [
        "",
        "sms/",
        "api/ip/",
        "api/callback/",
        "messages/",
        f"messages/{message.pk}/",
        "balance/",
        "incoming/",
        "senders/",
    ]
    for path in [
        "/",
        "/services/order/",
        "/password/",
        *(f"/services/{service.pk}/{t}" for t in tabs),
    ]:
        visit(page, base + path)

    # Sms2Email's pages appear once it is switched on (a form on the service page).
    visit(page, f"{base}/services/{service.pk}/")
    page.click("button >> text=Switch Sms2Email on")
    page.wait_for_url(re.compile(rf"/services/{service.pk}/$"))
    visit(page, f"{base}/services/{service.pk}/sms2email/")
    visit(page, f"{base}/services/{service.pk}/sms2email/log/")

    # The send form's counter: a script of ours fetching the estimate as one types.
    visit(page, f"{base}/services/{service.pk}/send/")
    page.fill("#id_recipients", "501 234 567")
    page.fill("#id_text", "a" * 161)
    expect(page.locator("#counter")).to_have_attribute("data-parts", "2")

    # The language switch: choosing one submits its form from panel.js.
    page.select_option("form.lang select", "pl")
    expect(page.locator("html")).to_have_attribute("lang", "pl")

    assert violations == []


def test_admin_pages_raise_no_violation(page, live_server, service, violations):
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw-staff")
    base = live_server.url
    sign_in(page, f"{base}/admin/login/", "staff", "pw-staff", "input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))

    for path in [
        "/admin/",
        "/admin/accounts/service/",
        "/admin/accounts/service/add/",
        f"/admin/accounts/service/{service.pk}/change/",
        f"/admin/accounts/service/{service.pk}/money/",
        "/admin/accounts/customer/",
        "/admin/messaging/message/",
        "/admin/messaging/incomingmessage/",
        "/admin/messaging/incomingmessage/inject/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{staff.pk}/change/",  # the two-box permission picker
    ]:
        visit(page, base + path)
    # The changelist's action bar and the "select all" box run admin's own scripts.
    visit(page, f"{base}/admin/accounts/service/")
    page.check("#action-toggle")
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")

    assert violations == []
