"""The send form's counter in a real browser: it opens neutral, names a problem only
once the customer has touched the field at fault, and lists the entries left out."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_RECIPIENT = "Enter at least one valid Polish mobile number"


def open_send_form(page, live_server, service, sign_in="Sign in"):
    path = f"/services/{service.pk}/send/"
    page.goto(f"{live_server.url}{path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click(f"button[type=submit] >> text={sign_in}")
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def test_no_error_before_the_customer_types(page, live_server, service):
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/estimate/" in r.url else None)
    open_send_form(page, live_server, service)
    counter = page.locator("#counter")
    page.wait_for_load_state("networkidle")
    expect(counter).to_have_text("The counter shows parts and price as you type.")
    assert asked == []
    expect(page.locator("[role=alert]")).to_have_count(0)

    # Text first: counted, and no word yet about the recipients not typed.
    page.locator("#id_text").fill("Hello")
    expect(counter).to_contain_text("5 characters")
    expect(counter).not_to_contain_text(NO_RECIPIENT)

    # Recipients touched and still no valid number: now it is said.
    page.locator("#id_recipients").fill("12")
    expect(counter).to_contain_text(NO_RECIPIENT)
    page.locator("#id_recipients").fill("501 234 567")
    expect(counter).to_have_attribute("data-numbers", "1")
    expect(counter).not_to_contain_text(NO_RECIPIENT)


def test_the_entries_left_out_are_listed_as_typed(page_in, live_server, service):
    page = page_in("pl-PL")
    open_send_form(page, live_server, service, "Zaloguj")
    dropped = page.locator("#dropped")
    expect(dropped).to_be_hidden()

    page.locator("#id_recipients").fill("501 234 567, 12, 48501234567")
    expect(page.locator("#counter")).to_contain_text("1 poprawny numer, 2 pominięte")
    expect(dropped.locator("li")).to_have_text(
        ["12 — to nie polski numer komórkowy", "48501234567 — powtórzony (wyślemy raz)"]
    )
    page.locator("#id_recipients").fill("501 234 567, 600 100 200")
    expect(page.locator("#counter")).to_contain_text("2 poprawne numery")
    expect(dropped).to_be_hidden()
