"""The address book's exports: the list as filtered, as CSV (plain and for Excel in
Polish) and as XLSX, headed in the reader's language, streamed, and read back by the
import into the same contacts."""

import csv
import io

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from contacts import book, importer
from contacts.models import Contact, ContactFields, ContactGroup

pytestmark = pytest.mark.django_db

BOM = "\ufeff"
HEADERS = {
    "en": ["Phone", "First name", "Last name", "E-mail", "Note", "Miasto", "Field 2"],
    "pl": ["Telefon", "Imię", "Nazwisko", "E-mail", "Uwagi", "Miasto", "Pole 2"],
}
GROUPS = {"en": "Groups", "pl": "Grupy"}


@pytest.fixture
def customer(service):
    customer = service.customer
    ContactFields.objects.create(customer=customer, name1="Miasto")
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    b2b = ContactGroup.objects.create(customer=customer, name="Hurt, B2B")
    rows = [
        (
            "48600100200",
            "Józef",
            "Wiśniewski-Dąbrowski",
            "jozef@example.pl",
            "po 16; pilne",
            "Łódź",
        ),
        (
            "48600100201",
            "Zażółć",
            'Gęślą "Jaźń"',
            "",
            "wiersz 1\nwiersz 2",
            "",
        ),
        ("48600100202", "", "", "", "", "Kraków"),
    ]
    for number, first, last, email, note, city in rows:
        contact = Contact.objects.create(
            customer=customer,
            number=number,
            first_name=first,
            last_name=last,
            email=email,
            note=note,
            field1=city,
            field5="piąte",
        )
        if number.endswith("200"):
            contact.groups.set([vip, b2b])
        elif number.endswith("201"):
            contact.groups.set([vip])
    return customer


def reader(customer, language) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(customer.user)
    return client


def csv_rows(response, delimiter) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)  # streamed, not built in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content[len(BOM) :]), delimiter=delimiter))


def xlsx_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="contacts.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[cell or "" for cell in row] for row in workbook.active.iter_rows(values_only=True)]


def exported(client, kind, **query) -> list[list[str]]:
    if kind == "xlsx":
        return xlsx_rows(client.get(reverse("contacts_xlsx"), query))
    if kind == "excel":
        return csv_rows(client.get(reverse("contacts_csv"), {**query, "format": "excel"}), ";")
    return csv_rows(client.get(reverse("contacts_csv"), query), ",")


KINDS = ["csv", "excel", "xlsx"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["pl", "en"])
def test_headers_in_the_readers_language(customer, kind, language):
    rows = exported(reader(customer, language), kind)

    # By name, as the list: the one without a name first.
    assert [row[0] for row in rows[1:]] == ["48600100202", "48600100201", "48600100200"]
    assert rows[0][:7] == HEADERS[language]
    assert rows[0][-1] == GROUPS[language]
    assert len(rows) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_rows_hold_every_field_and_the_groups_joined(customer, kind):
    rows = {row[0]: row for row in exported(reader(customer, "pl"), kind)[1:]}

    assert rows["48600100200"] == [
        "48600100200",
        "Józef",
        "Wiśniewski-Dąbrowski",
        "jozef@example.pl",
        "po 16; pilne",
        "Łódź",
        "",
        "",
        "",
        "piąte",
        "Hurt, B2B, VIP",
    ]
    assert rows["48600100201"][2] == 'Gęślą "Jaźń"'
    assert rows["48600100201"][4] == "wiersz 1\nwiersz 2"


def test_the_polish_csv_uses_semicolons(customer):
    response = reader(customer, "pl").get(reverse("contacts_csv"), {"format": "excel"})
    first_line = b"".join(response.streaming_content).decode("utf-8").splitlines()[0]
    assert first_line.startswith(BOM + "Telefon;Imię;Nazwisko;")
    assert 'filename="contacts-excel.csv"' in response["Content-Disposition"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_export_is_the_list_as_filtered(customer, kind):
    client = reader(customer, "en")
    vip = ContactGroup.objects.get(customer=customer, name="VIP")

    def numbers(**query):
        return sorted(row[0] for row in exported(client, kind, **query)[1:])

    assert numbers(q="600 100 201") == ["48600100201"]
    assert numbers(group=vip.pk) == ["48600100200", "48600100201"]
    assert numbers(group="none") == ["48600100202"]
    assert numbers(q="Kraków") == ["48600100202"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["pl", "en"])
def test_an_export_imports_back_into_the_same_contacts(customer, make_service, kind, language):
    """Whatever the file and the panel's language, contacts.importer maps each column by
    its header and the new book holds the same contacts."""
    response = {
        "xlsx": lambda c: c.get(reverse("contacts_xlsx")),
        "excel": lambda c: c.get(reverse("contacts_csv"), {"format": "excel"}),
        "csv": lambda c: c.get(reverse("contacts_csv")),
    }[kind](reader(customer, language))
    file = io.BytesIO(b"".join(response.streaming_content))
    other = make_service(username="bob").customer
    ContactFields.objects.create(customer=other, name1="Miasto")

    found = importer.preview(file, field_names=book.field_names(other))
    report = importer.import_contacts(other, file, found.mapping)

    assert (report.imported, report.invalid, report.rows) == (3, 0, 3)
    fields = ["number", "first_name", "last_name", "email", "note", *book.VALUE_FIELDS[4:]]

    def contacts(owner):
        return list(Contact.objects.filter(customer=owner).order_by("number").values(*fields))

    assert contacts(other) == contacts(customer)


def test_a_value_a_spreadsheet_would_run_is_kept_as_text(customer):
    Contact.objects.create(customer=customer, number="48600100299", first_name="=HYPERLINK(1)")
    client = reader(customer, "en")

    in_csv = exported(client, "csv", q="600100299")
    in_xlsx = client.get(reverse("contacts_xlsx"), {"q": "600100299"})
    cell = openpyxl.load_workbook(io.BytesIO(b"".join(in_xlsx.streaming_content))).active["B2"]

    assert in_csv[1][1] == "'=HYPERLINK(1)"
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")  # text, not a formula


def test_a_large_export_reads_the_database_in_chunks(customer, monkeypatch):
    monkeypatch.setattr(book, "EXPORT_CHUNK", 100)
    Contact.objects.bulk_create(
        Contact(customer=customer, number=f"486011{n:05d}", last_name="Masowy") for n in range(450)
    )
    response = reader(customer, "en").get(reverse("contacts_csv"), {"q": "Masowy"})
    lines = iter(response.streaming_content)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        first = [next(lines) for _ in range(2)]  # the header and the first row
    assert len([q for q in queries if "contacts_contact_groups" in q["sql"]]) == 1
    rest = list(lines)

    assert len(first) + len(rest) == 451


@pytest.mark.parametrize("kind", KINDS)
def test_another_customers_contacts_are_never_exported(customer, make_service, kind):
    mallory = make_service(username="mallory").customer
    theirs = ContactGroup.objects.create(customer=mallory, name="Mallory VIP")
    Contact.objects.create(customer=mallory, number="48600999888", first_name="Mallory")
    Contact.objects.get(number="48600999888").groups.add(theirs)
    client = reader(customer, "en")

    for query in ({}, {"q": "600999888"}, {"q": "Mallory"}, {"group": theirs.pk}):
        rows = exported(client, kind, **query)
        flat = " ".join(" ".join(row) for row in rows)
        assert "Mallory" not in flat and "48600999888" not in flat
