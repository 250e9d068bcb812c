"""The address book in a real browser on a 360 px phone, in Polish: add a contact, find it
by another spelling of its number, put it in a group from the list."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_find_and_group_a_contact_on_a_phone(page_in, live_server, service):
    customer = service.customer
    regulars = ContactGroup.objects.create(customer=customer, name="Stali klienci")
    Contact.objects.create(customer=customer, number="48511222333", first_name="Ewa")
    page = page_in("pl-PL", viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/contacts/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj")
    page.wait_for_url(re.compile(r"/contacts/$"))

    page.click("a.button >> text=Dodaj kontakt")
    page.get_by_label("Numer telefonu").fill("+48 600-100-200")
    page.get_by_label("Imię", exact=True).fill("Józef")
    page.get_by_label("Nazwisko").fill("Wiśniewski")
    page.click("button >> text=Zapisz")
    expect(page.locator(".messages")).to_contain_text("Dodano: Józef Wiśniewski.")

    page.goto(f"{live_server.url}/contacts/")
    page.get_by_label("Szukaj").fill("600 100 200")
    page.click("#contact-filter button")
    expect(page.locator("#contact-count")).to_have_text("Pasuje 1 kontakt.")
    row = page.locator("#contact-list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("+48 600 100 200")

    page.get_by_label("Zaznacz: Józef Wiśniewski").check()
    page.get_by_label("Grupa", exact=True).last.select_option(label="Stali klienci")
    page.click("button >> text=Dodaj do grupy")
    expect(page.locator(".messages")).to_contain_text("1 kontakt dodany do grupy Stali klienci")
    expect(page.locator("#contact-list tbody tr")).to_contain_text("Stali klienci")

    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window  # the page fits the phone
    assert [c.first_name for c in regulars.contacts.all()] == ["Józef"]
    assert Contact.objects.get(first_name="Józef").number == "48600100200"
