"""A personalised send to a group in a real browser, on a 360 px phone, in Polish: import
a small CSV with a custom field into a new group, choose the group in the send form,
type a text with {imie} and {pole1} (one put in by its button), read the preview and
the range, send, and find each recipient's own text on the message page."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import ContactFields
from messaging.models import Message, Recipient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    "Telefon;Imię;Miasto",
    "600 100 200;Zażółć;Kraków",
    "601200300;Jan;Gdańsk",
    "602300400;<b>Ola</b>;Łódź",
]
TEXTS = [
    "Cześć Zażółć, zapraszamy do Kraków!",
    "Cześć Jan, zapraszamy do Gdańsk!",
    "Cześć <b>Ola</b>, zapraszamy do Łódź!",
]


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}{next_path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide"


def test_import_then_send_each_contact_their_own_text(page_in, live_server, service, tmp_path):
    ContactFields.objects.create(customer=service.customer, name1="Miasto")
    file = tmp_path / "klienci.csv"
    file.write_bytes(("\r\n".join(ROWS) + "\r\n").encode("windows-1250"))
    page = page_in("pl-PL", viewport={"width": 360, "height": 800})
    sign_in(page, live_server, "/contacts/import/")
    page.get_by_label("Plik z kontaktami").set_input_files(str(file))
    page.click("button >> text=Wgraj i pokaż podgląd")
    page.wait_for_url(re.compile(r"/contacts/import/[0-9a-f-]+/$"))
    expect(page.get_by_label("Kolumna 3")).to_have_value("field1")  # by the customer's name
    page.get_by_label("…albo do nowej grupy").fill("Klienci")
    page.click("#import-mapping button >> text=Importuj")
    page.wait_for_url(re.compile(r"/report/$"))
    expect(page.locator('#import-counts [data-count="imported"]')).to_have_text("3")

    path = f"/services/{service.pk}/send/"
    page.goto(f"{live_server.url}{path}")
    expect(page.locator("#recount")).to_have_count(0)  # the live counter takes its place
    page.get_by_label("Do grupy").select_option(label="Klienci (3 kontakty)")
    expect(page.locator("#text-fields")).to_contain_text("{pole1} Miasto")
    text = page.get_by_label("Treść")
    text.fill("Cześć ")
    page.click("#text-fields button >> text={imie}")  # put in where the cursor is
    text.press("End")
    text.type(", zapraszamy do {pole1}!")
    expect(text).to_have_value("Cześć {imie}, zapraszamy do {pole1}!")

    counter = page.locator("#counter")
    expect(counter).to_contain_text("32–37 znaków · 1 część z najwyżej 6")
    expect(counter).to_contain_text("3 numery z grupy")
    expect(counter).to_contain_text("cena 0,2100 zł")
    preview = page.locator("#group-preview li")
    expect(preview).to_have_text(TEXTS)
    # A contact's name is shown as typed, never run as HTML.
    expect(page.locator("#group-preview b")).to_have_count(0)
    no_sideways_scroll(page)

    page.click("button[type=submit] >> text=Wyślij")
    page.wait_for_url(re.compile(r"/messages/\d+/$"))
    message = Message.objects.get(service=service)
    assert message.personalised and message.recipient_count == 3
    assert sorted(r.text or message.text for r in Recipient.objects.filter(message=message)) == (
        sorted(TEXTS)
    )
    recipients = page.locator("#recipients")
    for sent in TEXTS:
        expect(recipients).to_contain_text(sent)
    expect(recipients.locator("b")).to_have_count(0)
    no_sideways_scroll(page)
