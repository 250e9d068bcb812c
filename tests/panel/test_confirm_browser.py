"""Asking before a destructive action in a real browser: without JavaScript (plain
pages and forms) and with it, answering "no" first and then "yes"."""

import re

import pytest
from playwright.sync_api import expect

from mailbridge import settings_ops
from mailbridge.models import Sms2EmailSettings
from messaging.models import Status
from tests.panel.test_confirm import scheduled_message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, next_path, button):
    page.goto(f"{live_server.url}{next_path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click(f"button[type=submit] >> text={button}")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_cancelling_a_send_without_javascript(page_in, live_server, service):
    page = page_in("en-US", java_script_enabled=False)
    message = scheduled_message(service)
    detail = f"/services/{service.pk}/messages/{message.pk}/"
    sign_in(page, live_server, detail, "Sign in")

    page.click("button >> text=Cancel what has not been sent")
    page.wait_for_url(re.compile(r"/cancel/\?*$"))
    expect(page.locator("#confirm h2")).to_have_text(f"Cancel message {message.pk}?")
    expect(page.locator("#confirm")).to_contain_text("their price returns to the balance")
    page.click("#confirm >> text=No, go back")
    page.wait_for_url(re.compile(re.escape(detail) + "$"))
    assert set(message.recipients.values_list("status", flat=True)) == {Status.PENDING}

    page.click("button >> text=Cancel what has not been sent")
    page.click("#confirm button >> text=Yes, cancel the send")
    page.wait_for_url(re.compile(re.escape(detail) + "$"))
    expect(page.locator(".messages")).to_contain_text("cancelled")
    assert set(message.recipients.values_list("status", flat=True)) == {Status.CANCELLED}


def test_a_new_ups_subdomain_with_javascript(page_in, live_server, service):
    page = page_in("pl-PL")
    settings_ops.switch_on(service)
    old = Sms2EmailSettings.objects.get(service=service).ups_subdomain
    settings_page = f"/services/{service.pk}/sms2email/"
    sign_in(page, live_server, settings_page, "Zaloguj się")

    page.click("button >> text=regeneruj")
    expect(page.locator("#confirm h2")).to_have_text("Wygenerować nową subdomenę dla UPS?")
    expect(page.locator("#confirm")).to_contain_text(old)
    page.click("#confirm >> text=Nie, wróć")
    expect(page.locator("#ups-subdomain")).to_have_text(old)

    page.click("button >> text=regeneruj")
    page.click("#confirm button >> text=Tak, wygeneruj nową subdomenę")
    page.wait_for_url(re.compile(re.escape(settings_page) + "$"))
    new = Sms2EmailSettings.objects.get(service=service).ups_subdomain
    assert new != old
    expect(page.locator("#ups-subdomain")).to_have_text(new)
