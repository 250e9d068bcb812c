"""Message templates in a real browser: inserted into the send form, the counter follows;
without JavaScript the Insert button does the same through the server."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import MessageTemplate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 161 GSM-7 characters: two parts.
LONG = ("Przypominamy o wizycie jutro o 10:00. " * 5)[:161]


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}{next_path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


@pytest.fixture
def templates(service):
    return [
        MessageTemplate.objects.create(customer=service.customer, name="Krótki", text="Hej!"),
        MessageTemplate.objects.create(customer=service.customer, name="Wizyta", text=LONG),
    ]


def test_insert_a_template_and_the_counter_changes(page_in, live_server, service, templates):
    errors = []
    page = page_in("pl-PL")
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, live_server, f"/services/{service.pk}/send/")
    counter = page.locator("#counter")
    page.get_by_label("Odbiorcy").fill("501 234 567")
    text = page.get_by_label("Treść")
    text.fill("a")
    expect(counter).to_have_attribute("data-parts", "1")
    expect(page.locator("#insert-template")).to_have_count(0)  # JavaScript does it

    page.get_by_label("Wstaw szablon").select_option(label="Wizyta")
    expect(text).to_have_value(LONG)
    expect(counter).to_have_attribute("data-parts", "2")
    expect(counter).to_contain_text("161 znaków · GSM-7")

    page.get_by_label("Wstaw szablon").select_option(label="Krótki")
    expect(text).to_have_value("Hej!")
    expect(counter).to_have_attribute("data-parts", "1")
    expect(counter).to_contain_text("4 znaki")
    assert errors == []


def test_insert_without_javascript(page_in, live_server, service, templates):
    page = page_in("pl-PL", java_script_enabled=False)
    sign_in(page, live_server, f"/services/{service.pk}/send/")
    page.get_by_label("Odbiorcy").fill("501 234 567")
    page.get_by_label("Wstaw szablon").select_option(label="Krótki")
    page.click("#insert-template")
    expect(page.get_by_label("Treść")).to_have_value("Hej!")
    expect(page.get_by_label("Odbiorcy")).to_have_value("501 234 567")
    assert service.messages.count() == 0
    # Then the page sends as usual.
    page.click("button >> text=Wyślij")
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    assert service.messages.get().text == "Hej!"


def test_templates_added_and_deleted_in_the_browser(page_in, live_server, service):
    page = page_in("pl-PL")
    sign_in(page, live_server, "/templates/")
    expect(page.locator("#no-templates")).to_be_visible()
    page.click("text=Dodaj szablon")
    page.get_by_label("Nazwa").fill("Promocja")
    page.get_by_label("Treść").fill("Rabat 10% do niedzieli!")
    page.click("#template-form button >> text=Zapisz")
    page.wait_for_url(re.compile(r"/templates/$"))
    expect(page.locator("#templates")).to_contain_text("Rabat 10% do niedzieli!")
    page.click("#templates >> text=Usuń")
    expect(page.locator("h1")).to_have_text("Usunąć szablon „Promocja”?")
    page.click("button >> text=Tak, usuń szablon")
    page.wait_for_url(re.compile(r"/templates/$"))
    expect(page.locator("#no-templates")).to_be_visible()
    assert MessageTemplate.objects.count() == 0
