"""What a file may hold before it is read: a reviewer's repro of an upload that took a
web process 73 s and 5 GB (an XLSX of one packed 400 MB string), a CSV line of 20,001
columns (a form field each) and a first field past the csv module's limit (a 500)."""

import io

import openpyxl
import pytest

from contacts import importer
from contacts.importer import ImportFileError, import_contacts, preview
from contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_an_excel_file_unpacking_past_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(importer, "MAX_XLSX_UNPACKED_BYTES", 40_000)
    book = openpyxl.Workbook()
    book.active.append(["Telefon", "Uwagi"])
    book.active.append(["600100200", "x" * 32_000])  # unpacks to 48 kB, packs to 5 kB
    packed = io.BytesIO()
    book.save(packed)
    assert len(packed.getvalue()) < 20_000

    def no_openpyxl(*args, **kwargs):
        raise AssertionError("openpyxl read a file it should have refused")

    monkeypatch.setattr(openpyxl, "load_workbook", no_openpyxl)
    with pytest.raises(ImportFileError, match="more than 0 MB"):
        preview(packed)


def test_a_damaged_zip_is_refused_in_words():
    with pytest.raises(ImportFileError, match="cannot be read"):
        preview(io.BytesIO(b"PK\x03\x04" + b"\x00" * 100))


def test_a_file_wider_than_the_limit_is_refused_at_the_preview():
    wide = ";".join(["600100200"] + ["a"] * importer.MAX_COLUMNS) + "\r\n"
    with pytest.raises(ImportFileError, match=f"more than {importer.MAX_COLUMNS} columns"):
        preview(io.BytesIO(wide.encode()))


def test_a_row_at_the_column_limit_is_read():
    row = ";".join(["600100200"] + ["a"] * (importer.MAX_COLUMNS - 1)) + "\r\n"
    shown = preview(io.BytesIO(row.encode()))
    assert len(shown.rows[0]) == importer.MAX_COLUMNS


def test_a_first_field_past_the_csv_limit_is_refused_in_words_not_a_crash():
    data = b"a" * 200_000 + b";600100200\r\n"
    with pytest.raises(ImportFileError):
        preview(io.BytesIO(data))


def test_a_long_cell_is_cut_and_reported_invalid_not_kept_whole(make_service):
    customer = make_service().customer
    data = ("Telefon;Uwagi\r\n600100200;" + "n" * 5000 + "\r\n600100201;ok\r\n").encode()
    report = import_contacts(customer, io.BytesIO(data), ["number", "note"], header=True)
    assert (report.imported, report.invalid) == (1, 1)
    assert report.problems[0].row == 2
    assert list(Contact.objects.values_list("number", flat=True)) == ["48600100201"]


def test_cells_are_trimmed_to_the_limit():
    assert importer._trimmed("  " + "x" * 10_000) == "x" * importer.MAX_CELL_CHARS


def test_an_excel_row_wider_than_the_limit_is_refused_but_empty_cells_do_not_count():
    book = openpyxl.Workbook()
    book.active.append(["600100200"] + ["a"] * importer.MAX_COLUMNS)
    wide = io.BytesIO()
    book.save(wide)
    with pytest.raises(ImportFileError, match="columns"):
        preview(wide)

    book = openpyxl.Workbook()
    book.active.append(["600100200", "Anna"])
    book.active.cell(row=2, column=importer.MAX_COLUMNS + 20, value="")  # a sheet wider
    narrow = io.BytesIO()
    book.save(narrow)
    assert preview(narrow).rows[0][:2] == ["600100200", "Anna"]
