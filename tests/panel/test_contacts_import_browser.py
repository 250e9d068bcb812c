"""Importing contacts in a real browser, in Polish: upload a Polish Excel CSV, check the
guessed columns, import into a new group and read the report."""

import re

import pytest
from playwright.sync_api import expect

from contacts.models import Contact, ContactGroup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    "Telefon;Imię;Nazwisko;Uwagi",
    "600 100 200;Zażółć;Gęślą;stała klientka",
    "601200300;Łukasz;Świątek;",
    "600100200;Jan;Powtórka;",
    "12345;Zły;Numer;",
]


def sign_in(page, live_server, next_path):
    page.goto(f"{live_server.url}{next_path}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj")
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def test_import_a_small_csv_through_the_pages(page_in, live_server, service, tmp_path):
    file = tmp_path / "klienci.csv"
    file.write_bytes(("\r\n".join(ROWS) + "\r\n").encode("windows-1250"))
    page = page_in("pl-PL")
    sign_in(page, live_server, "/")
    page.click("#address-book-links >> text=Importuj kontakty")
    page.get_by_label("Plik z kontaktami").set_input_files(str(file))
    page.click("button >> text=Wgraj i pokaż podgląd")

    page.wait_for_url(re.compile(r"/contacts/import/[0-9a-f-]+/$"))
    expect(page.locator("#preview-rows")).to_contain_text("Zażółć")
    expect(page.get_by_label("Kolumna 1")).to_have_value("number")
    expect(page.get_by_label("Kolumna 4")).to_have_value("note")
    page.get_by_label("Kolumna 4").select_option("")  # skip the notes
    page.get_by_label("…albo do nowej grupy").fill("Stali klienci")
    page.click("#import-mapping button >> text=Importuj")

    page.wait_for_url(re.compile(r"/report/$"))
    counts = page.locator("#import-counts")
    expect(counts.locator('[data-count="imported"]')).to_have_text("2")
    expect(counts.locator('[data-count="duplicates"]')).to_have_text("1")
    expect(counts.locator('[data-count="invalid"]')).to_have_text("1")
    expect(page.locator("#import-report")).to_contain_text("Plik miał 4 wiersze z danymi")
    expect(page.locator("#import-problems")).to_contain_text(
        "to nie jest polski numer komórkowy: 12345"
    )
    expect(page.locator("#import-problems tbody tr").first).to_contain_text("4")

    group = ContactGroup.objects.get(customer=service.customer, name="Stali klienci")
    assert sorted(group.contacts.values_list("number", flat=True)) == [
        "48600100200",
        "48601200300",
    ]
    assert Contact.objects.get(number="48600100200").note == ""
