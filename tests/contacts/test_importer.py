"""The address book's import: every row accounted for, all or nothing, one customer only."""

import io

import openpyxl
import pytest
from django.utils import translation

from contacts import importer
from contacts.importer import IGNORED, ImportFileError, import_contacts, preview
from contacts.models import Contact, ContactGroup

MAPPING = ["number", "first_name", "last_name", "email", "note"]


@pytest.fixture
def customer(make_service):
    return make_service(username="alice").customer


@pytest.fixture
def other(make_service):
    return make_service(username="bob").customer


def csv_file(rows, *, delimiter=";", charset="windows-1250", bom=False) -> io.BytesIO:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    data = text.encode(charset)
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + data)


def xlsx_file(rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def accounted(report) -> int:
    return (
        report.imported
        + report.updated
        + report.unchanged
        + report.duplicates
        + report.invalid
        + report.empty
    )


def book(customer) -> dict[str, tuple[str, str]]:
    return {
        c.number: (c.first_name, c.last_name) for c in Contact.objects.filter(customer=customer)
    }


MESSY = [
    ["Telefon", "Imię", "Nazwisko", "E-mail", "Uwagi"],
    ["600 100 200", "Łukasz", "Żółć", "lukasz@example.pl", "ąęśćźżńół"],  # 2
    ["+48 600-100-201", "Gżegżółka", "Ślązak", "", ""],  # 3
    ["600100200", "Again", "Same", "", ""],  # 4: repeats row 2
    ["12345", "Not", "Mobile", "", ""],  # 5: invalid
    ["", "No", "Number", "", ""],  # 6: invalid
    ["", "", "", "", ""],  # 7: empty
    ["0048600100202", "Zenon", "Bad mail", "not-an-address", ""],  # 8: invalid
    ["600100203", "A" * 101, "", "", ""],  # 9: too long
    ["48600100201", "Third", "Time", "", ""],  # 10: repeats row 3
    ["600100204", "Ewa", "Źdźbło", "", ""],  # 11
]


def check_messy(report, customer):
    assert report.rows == len(MESSY) - 1
    assert accounted(report) == report.rows
    assert (report.imported, report.updated, report.duplicates) == (3, 0, 2)
    assert (report.invalid, report.empty) == (4, 1)
    assert [(p.row, p.reason) for p in report.problems] == [
        (4, "duplicate"),
        (5, "not-mobile"),
        (6, "empty-number"),
        (8, "email"),
        (9, "too-long"),
        (10, "duplicate"),
    ]
    assert report.problems[0].message == "the same number as row 2"
    assert report.problems[5].message == "the same number as row 3"
    assert book(customer) == {
        "48600100200": ("Łukasz", "Żółć"),
        "48600100201": ("Gżegżółka", "Ślązak"),
        "48600100204": ("Ewa", "Źdźbło"),
    }
    assert Contact.objects.get(number="48600100200").note == "ąęśćźżńół"


@pytest.mark.parametrize(
    "charset,bom,delimiter",
    [
        ("windows-1250", False, ";"),
        ("iso-8859-2", False, ";"),
        ("utf-8", False, ","),
        ("utf-8", True, ";"),
        ("utf-8", False, "\t"),
        ("windows-1250", False, "\t"),
    ],
)
def test_every_row_is_accounted_for_in_each_charset_and_delimiter(
    customer, charset, bom, delimiter
):
    file = csv_file(MESSY, charset=charset, bom=bom, delimiter=delimiter)
    seen = preview(file)
    expected_charset = "utf-8-sig" if bom else charset
    assert (seen.charset, seen.delimiter, seen.header) == (expected_charset, delimiter, True)
    assert seen.mapping == MAPPING
    assert seen.rows[1][1] == "Łukasz"
    check_messy(import_contacts(customer, file, seen.mapping), customer)


def test_an_xlsx_file_with_numbers_typed_as_numbers(customer):
    rows = [list(row) for row in MESSY]
    rows[1][0] = 600100200  # a cell Excel holds as a number
    rows[10][0] = 48600100204.0
    file = xlsx_file(rows)
    seen = preview(file)
    assert (seen.kind, seen.header, seen.mapping) == ("xlsx", True, MAPPING)
    check_messy(import_contacts(customer, file, seen.mapping), customer)


def test_english_headers_in_another_order_and_an_unknown_column(customer):
    rows = [
        ["Surname", "Mobile", "Company", "First name", "Notes", "Email"],
        ["Smith", "600100200", "ACME", "John", "vip", "j@example.com"],
    ]
    seen = preview(csv_file(rows, delimiter=",", charset="utf-8"))
    assert seen.mapping == ["last_name", "number", IGNORED, "first_name", "note", "email"]


def test_polish_header_spellings(customer):
    rows = [["Nr tel.", "Imie", "NAZWISKO", "e-mail", "Pole 2"], ["600100200", "a", "b", "", "x"]]
    seen = preview(csv_file(rows))
    assert seen.mapping == ["number", "first_name", "last_name", "email", "field2"]


def test_the_customers_own_field_names_are_recognised(customer):
    rows = [["Miasto", "GSM"], ["Kraków", "600100200"]]
    seen = preview(csv_file(rows), field_names={"field3": "Miasto"})
    assert seen.mapping == ["field3", "number"]


def test_a_file_without_a_header_finds_the_number_column(customer):
    rows = [["Jan", "600100200"], ["Ewa", "600100201"]]
    file = csv_file(rows, delimiter=",")
    seen = preview(file)
    assert (seen.header, seen.mapping) == (False, [IGNORED, "number"])
    report = import_contacts(customer, file, ["first_name", "number"])
    assert (report.rows, report.imported) == (2, 2)
    assert book(customer)["48600100201"] == ("Ewa", "")


def test_existing_contacts_are_updated_in_the_mapped_columns_only(customer):
    Contact.objects.create(
        customer=customer, number="48600100200", first_name="Old", note="kept", field1="x"
    )
    file = csv_file([["numer", "imię"], ["600100200", "New"], ["600100201", "Fresh"]])
    report = import_contacts(customer, file, ["number", "first_name"])
    assert (report.imported, report.updated, report.rows) == (1, 1, 2)
    contact = Contact.objects.get(customer=customer, number="48600100200")
    assert (contact.first_name, contact.note, contact.field1) == ("New", "kept", "x")


def test_without_update_existing_contacts_are_left_as_they_were(customer):
    Contact.objects.create(customer=customer, number="48600100200", first_name="Old")
    group = ContactGroup.objects.create(customer=customer, name="Klienci")
    file = csv_file([["numer", "imię"], ["600100200", "New"], ["600100201", "Fresh"]])
    report = import_contacts(
        customer, file, ["number", "first_name"], group=group, update_existing=False
    )
    assert (report.imported, report.updated, report.unchanged) == (1, 0, 1)
    assert book(customer)["48600100200"] == ("Old", "")
    assert set(group.contacts.values_list("number", flat=True)) == {"48600100200", "48600100201"}


def test_the_group_gets_every_contact_of_the_file_once(customer):
    group = ContactGroup.objects.create(customer=customer, name="Klienci")
    already = Contact.objects.create(customer=customer, number="48600100200")
    already.groups.add(group)
    outside = Contact.objects.create(customer=customer, number="48600100299")
    file = csv_file([["numer"], ["600100200"], ["600100201"], ["600100201"]])
    report = import_contacts(customer, file, ["number"], group=group)
    assert (report.imported, report.unchanged, report.duplicates) == (1, 1, 1)
    assert sorted(group.contacts.values_list("number", flat=True)) == [
        "48600100200",
        "48600100201",
    ]
    assert not outside.groups.exists()


def test_a_failure_midway_leaves_the_book_as_it_was(customer, monkeypatch):
    Contact.objects.create(customer=customer, number="48600100200", first_name="Old")
    monkeypatch.setattr(importer, "CHUNK", 3)
    real, calls = importer._write_chunk, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected")
        return real(*args)

    monkeypatch.setattr(importer, "_write_chunk", failing)
    rows = [["numer", "imię"]] + [[f"60010020{i}", "New"] for i in range(8)]
    with pytest.raises(RuntimeError, match="injected"):
        import_contacts(customer, csv_file(rows), ["number", "first_name"])
    assert len(calls) == 2  # the first chunk was written, then undone
    assert book(customer) == {"48600100200": ("Old", "")}


def test_an_import_never_touches_another_customers_contacts(customer, other):
    theirs = Contact.objects.create(customer=other, number="48600100200", first_name="Bob's")
    their_group = ContactGroup.objects.create(customer=other, name="Klienci")
    theirs.groups.add(their_group)
    group = ContactGroup.objects.create(customer=customer, name="Klienci")
    file = csv_file([["numer", "imię"], ["600100200", "Alice's"]])
    report = import_contacts(customer, file, ["number", "first_name"], group=group)
    assert (report.imported, report.updated) == (1, 0)
    assert book(other) == {"48600100200": ("Bob's", "")}
    assert book(customer) == {"48600100200": ("Alice's", "")}
    assert list(their_group.contacts.all()) == [theirs]
    with pytest.raises(ValueError):
        import_contacts(other, csv_file([["600100201"]]), ["number"], group=group)


def test_a_mapping_without_a_number_or_with_a_target_twice_is_refused(customer):
    with pytest.raises(ImportFileError):
        import_contacts(customer, csv_file([["a"]]), ["first_name"])
    with pytest.raises(ImportFileError):
        import_contacts(customer, csv_file([["a", "b"]]), ["number", "number"])


def test_the_listed_problems_are_capped_but_counted(customer, monkeypatch):
    monkeypatch.setattr(importer, "MAX_LISTED", 3)
    rows = [["numer"]] + [["123"]] * 10 + [["600100200"]]
    report = import_contacts(customer, csv_file(rows), ["number"])
    assert (report.invalid, report.imported, len(report.problems)) == (10, 1, 3)
    assert report.problems_cut and report.problems_total == 10
    assert accounted(report) == report.rows == 11


def test_quoted_fields_with_delimiters_and_line_breaks(customer):
    data = 'numer;uwagi\r\n600100200;"line one\r\nline; two"\r\n600100201;x\r\n'
    report = import_contacts(customer, io.BytesIO(data.encode("utf-8")), ["number", "note"])
    assert (report.rows, report.imported) == (2, 2)
    assert Contact.objects.get(number="48600100200").note == "line one\r\nline; two"


def test_reasons_read_in_the_active_language(customer):
    rows = [["numer"], ["123"], ["123"], ["600100200"], ["600100200"]]
    report = import_contacts(customer, csv_file(rows), ["number"])
    with translation.override("pl"):
        messages = [p.message for p in report.problems]
    assert messages == [
        "to nie jest polski numer komórkowy: 123",
        "to nie jest polski numer komórkowy: 123",
        "ten sam numer co w wierszu 4",
    ]


@pytest.mark.postgres
def test_a_hundred_thousand_rows_on_postgresql(customer):
    group = ContactGroup.objects.create(customer=customer, name="Wszyscy")
    Contact.objects.create(customer=customer, number="48600000000", first_name="Old")
    lines = ["Telefon;Imię;Nazwisko"]
    for i in range(100_000):
        if i % 1000 == 999:
            lines.append(f"12{i};Zły;Numer")
        elif i % 1000 == 998:
            lines.append(f"{600_000_000 + i - 1};Powtórka;Wiersza")
        else:
            lines.append(f"{600_000_000 + i};Łucja{i};Żak")
    file = io.BytesIO(("\r\n".join(lines) + "\r\n").encode("windows-1250"))
    report = import_contacts(customer, file, ["number", "first_name", "last_name"], group=group)
    assert report.rows == 100_000
    assert (report.invalid, report.duplicates, report.updated) == (100, 100, 1)
    assert report.imported == 100_000 - 201
    assert accounted(report) == report.rows
    assert Contact.objects.filter(customer=customer).count() == 100_000 - 200
    assert group.contacts.count() == 100_000 - 200
    assert book(customer)["48600000000"] == ("Łucja0", "Żak")


def test_values_with_quotes_backslashes_and_braces_are_stored_as_typed(customer):
    note = "say \"hi\", {x} \\ back\\slash; 'single'"
    data = 'numer;uwagi\r\n600100200;"' + note.replace('"', '""') + '"\r\n'
    report = import_contacts(customer, io.BytesIO(data.encode("utf-8")), ["number", "note"])
    assert report.imported == 1
    assert Contact.objects.get(number="48600100200").note == note


def test_a_file_utf8_only_in_its_start_is_refused_whole(customer, monkeypatch):
    monkeypatch.setattr(importer, "SAMPLE_BYTES", 64)
    rows = [["numer", "imię"]] + [[f"60010020{i}", "Zażółć"] for i in range(5)]
    data = csv_file(rows, charset="utf-8").getvalue() + "600100209;Gęś\r\n".encode("cp1250")
    with pytest.raises(ImportFileError):
        import_contacts(customer, io.BytesIO(data), ["number", "first_name"])
    assert not Contact.objects.exists()


def test_a_broken_excel_file_is_refused(customer):
    with pytest.raises(ImportFileError):
        preview(io.BytesIO(b"PK\x03\x04 not really a zip"))


def test_a_first_row_with_a_mistyped_number_is_data_not_a_header(customer):
    file = csv_file([["Jan", "60010020"], ["Ewa", "600100201"]], delimiter=",")
    assert preview(file).header is False
    report = import_contacts(customer, file, ["first_name", "number"])
    assert (report.rows, report.invalid, report.imported) == (2, 1, 1)
    assert report.problems[0].row == 1


def test_a_first_row_of_unknown_names_before_numbers_is_a_header(customer):
    file = csv_file([["Kto", "Gdzie"], ["Ewa", "600100201"]], delimiter=",")
    seen = preview(file)
    assert (seen.header, seen.mapping) == (True, [IGNORED, "number"])
    report = import_contacts(customer, file, seen.mapping)
    assert (report.rows, report.imported) == (1, 1)
