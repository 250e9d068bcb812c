"""In a real browser: order a service that staff then activate, and confirm a phone-number
sender with the code the simulator received."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Service, ServiceState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_order_a_service_then_staff_activate_it(
    page_in, live_server, service, admin_user, chromium_browser
):
    page = page_in("pl-PL")
    sign_in(page, live_server, "alice", "pw-alice")
    page.click("text=Zamów usługę")
    page.get_by_label("Nazwa usługi").fill("Sklep internetowy")
    page.get_by_label("Rodzaj").select_option("two_way")
    page.click("button >> text=Zamawiam")
    row = page.locator("#services tr", has_text="Sklep internetowy")
    expect(row).to_contain_text("Czeka na aktywację")
    ordered = Service.objects.get(name="Sklep internetowy")
    assert ordered.state == ServiceState.NOT_ACTIVATED

    staff = chromium_browser.new_context(locale="en-US").new_page()
    try:
        staff.goto(f"{live_server.url}/admin/login/")
        staff.fill("#id_username", "admin")
        staff.fill("#id_password", "password")
        staff.click("input[type=submit]")
        staff.goto(f"{live_server.url}{reverse('admin:accounts_service_changelist')}")
        staff.check(f"input[name=_selected_action][value='{ordered.pk}']")
        staff.select_option("select[name=action]", "activate")
        staff.click("button[name=index]")
        expect(staff.locator(".messagelist")).to_contain_text("1 service(s) activated")
    finally:
        staff.context.close()

    page.reload()
    expect(page.locator("#services tr", has_text="Sklep internetowy")).to_contain_text(
        "Gotowa do wysyłki"
    )


def test_register_a_phone_sender_and_confirm_it_with_the_code(
    page_in, live_server, service, simulator
):
    from gateways import dispatch
    from gateways.models import SimulatedSms

    page = page_in("pl-PL")
    sign_in(page, live_server, "alice", "pw-alice")
    page.goto(f"{live_server.url}/services/{service.pk}/senders/")
    page.get_by_label("Nazwa nadawcy").fill("48601234567")
    page.click("button >> text=Wyślij do moderacji")
    row = page.locator("#sender-list tr", has_text="48601234567")
    row.locator("button >> text=Wyślij kod").click()
    expect(page.locator(".messages")).to_contain_text("Kod wysłano SMS-em na 48601234567")

    dispatch.dispatch_batch()
    text = SimulatedSms.objects.get(number="48601234567").text
    code = re.search(r"(\d{6})$", text).group(1)
    page.get_by_label("Kod z SMS-a").fill(code)
    page.click("button >> text=Potwierdź")
    expect(page.locator(".messages")).to_contain_text("48601234567 jest potwierdzony")
    assert service.sender_ids.get().confirmed_at is not None
