"""The panel in a real browser: sign in, open a service, edit its IP allowlist."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_dashboard_and_allowlist_flow(page, live_server, service):
    page.goto(f"{live_server.url}/services/{service.pk}/api/ip/")
    # Not signed in: the panel asks for a login first and comes back afterwards.
    assert "/login/" in page.url
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Sign in")
    page.wait_for_url(re.compile(rf"/services/{service.pk}/api/ip/$"))

    page.click("text=My services")
    row = page.locator("#services tbody tr")
    assert row.count() == 1
    assert service.name in row.inner_text()
    assert "10.00 PLN" in row.inner_text()
    row.locator("a").click()
    page.click("nav.tabs >> text=IP addresses")
    expect(page.locator("main")).to_contain_text("every call")

    # A malformed entry gets an error that says what to fix.
    page.fill("#id_network", "192.0.2.9/24")
    page.click("button >> text=Add")
    expect(page.locator("[role=alert]")).to_contain_text("did you mean 192.0.2.0/24")

    page.fill("#id_network", "192.0.2.0/24")
    page.fill("#id_note", "office")
    page.click("button >> text=Add")
    expect(page.locator("#ip-list")).to_contain_text("192.0.2.0/24")
    assert list(service.allowed_addresses.values_list("network", flat=True)) == ["192.0.2.0/24"]

    page.click("#ip-list button >> text=Remove")
    expect(page.locator("#confirm")).to_contain_text("the API then refuses every call")
    page.click("#confirm button >> text=Yes, remove the address")
    expect(page.locator("#ip-list")).to_have_count(0)
    assert not service.allowed_addresses.exists()


def test_sent_message_page_and_simulated_incoming_sms(page, live_server, service, simulator):
    from gateways import dispatch
    from messaging import services
    from messaging.models import IncomingMessage

    request = services.SendRequest(recipients=["48600100123", "48600100000"], text="Dzień dobry")
    message = services.submit(service.pk, request).message
    dispatch.dispatch_batch()

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Sign in")
    page.goto(f"{live_server.url}/services/{service.pk}/")
    page.click("nav.tabs >> text=Sent messages")
    page.click(f"a[href$='/messages/{message.pk}/']")
    recipients = page.locator("#recipients")
    expect(recipients).to_contain_text("48600100123")
    expect(recipients).to_contain_text("DELIVERED")
    expect(recipients).to_contain_text("REJECTED")

    page.click("nav.tabs >> text=Received SMS")
    page.click("text=Simulate an incoming SMS")
    page.fill("#id_to_number", "48500100200")
    page.fill("#id_text", "Zażółć gęślą jaźń")
    page.click("button >> text=Receive")
    expect(page.locator("main table")).to_contain_text("Zażółć gęślą jaźń")
    assert IncomingMessage.objects.get(service=service).to_number == "48500100200"
