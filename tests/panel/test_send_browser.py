"""Wyślij SMS in a real browser: the live counter as the customer types, the send, and
the message page following its recipients to their final statuses (simulator)."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}{next_path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_send_from_the_form_with_the_live_counter(page_in, live_server, service, simulator):
    from gateways import dispatch

    page = page_in("pl-PL")
    sign_in(page, live_server, f"/services/{service.pk}/")
    page.click("nav.tabs >> text=Wyślij SMS")
    counter = page.locator("#counter")
    expect(counter).to_have_attribute("aria-live", "polite")

    page.get_by_label("Odbiorcy").fill("501 234 567, 600100000")
    text = page.get_by_label("Treść")
    text.fill("a" * 160)
    expect(counter).to_have_attribute("data-parts", "1")
    expect(counter).to_contain_text("GSM-7")
    text.press("End")
    text.type("b")  # the 161st GSM character
    expect(counter).to_have_attribute("data-parts", "2")
    expect(counter).to_contain_text("161 znaków · GSM-7 · 2 części z najwyżej 6")
    expect(counter).to_contain_text("2 poprawne numery")

    # One Polish letter: UCS-2, 67 characters a part, so 162 characters take 3.
    text.type("ż")
    expect(counter).to_have_attribute("data-encoding", "UCS-2")
    expect(counter).to_have_attribute("data-parts", "3")
    expect(counter).to_contain_text("„ż” wymaga UCS-2")
    expect(counter).to_contain_text("cena 0,4200 zł")  # 2 recipients × 3 parts × 0.07
    expect(counter).to_contain_text("saldo po wysłaniu 9,58 zł")

    page.click("button >> text=Wyślij")
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    message = Message.objects.get(service=service)
    assert (message.parts, message.encoding, message.recipient_count) == (3, "UCS-2", 2)
    expect(page.locator("#recipients")).to_contain_text("PENDING")

    dispatch.dispatch_batch()
    # The page reloads itself until every status is final.
    expect(page.locator("#recipients")).to_contain_text("DELIVERED", timeout=15_000)
    expect(page.locator("#recipients")).to_contain_text("REJECTED")
