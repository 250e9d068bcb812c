"""In a real browser at a phone's width (360 px), in Polish: set quiet hours, see a wrong
time refused with what to fix, and the page never scrolling sideways."""

import re
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import QuietHours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits(page) -> bool:
    document, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return document <= window


def test_set_quiet_hours_on_a_phone(page_in, live_server, service):
    page = page_in("pl-PL")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    page.goto(live_server.url + reverse("sms_settings", args=[service.pk]))
    page.click(".tabs >> text=Godziny wysyłki")
    expect(page.locator("h2")).to_have_text("Godziny wysyłki")
    assert fits(page)

    page.get_by_label("Godziny wysyłki włączone").check()
    monday = page.locator("fieldset", has_text="Poniedziałek")
    monday.get_by_label("od").fill("20:00")
    monday.get_by_label("do").fill("08:00")
    page.click("button >> text=Zapisz")
    expect(monday.locator(".errors")).to_have_text(
        "Poniedziałek: koniec musi być później niż początek."
    )
    assert fits(page)
    assert not QuietHours.objects.exists()

    monday = page.locator("fieldset", has_text="Poniedziałek")
    monday.get_by_label("od").fill("08:00")
    monday.get_by_label("do").fill("20:00")
    saturday = page.locator("fieldset", has_text="Sobota")
    saturday.get_by_label("od").fill("10:00")
    saturday.get_by_label("do").fill("16:00")
    page.click("button >> text=Zapisz")
    expect(page.locator(".messages")).to_contain_text("Godziny wysyłki zapisane.")
    assert fits(page)

    row = QuietHours.objects.get(service=service)
    assert row.enabled
    assert (row.monday_from, row.monday_until) == (time(8), time(20))
    assert (row.saturday_from, row.saturday_until) == (time(10), time(16))
    assert row.tuesday_from is None
