"""Ledger notes and CSV headers in the reader's language wherever they appear, not only
on their own page: every page of tests/panel/pages.py is read in Polish and English for
the other language's wording of the showcase's ledger entries, and every download of
the list is read for its headers."""

import csv
import io

import pytest
from django.test import Client
from django.utils import translation

from accounts.models import LedgerEntry
from tests.panel.pages import DOWNLOADS, PAGES, PASSWORD, USERNAME, build_showcase
from tests.panel.test_pages import url
from tests.panel.test_status_words import visible

pytestmark = pytest.mark.django_db

OTHER = {"pl": "en", "en": "pl"}
# Headers that read the same in both languages (the address book's custom fields are
# headed as the customer named them).
SAME_IN_BOTH = {"Status", "E-mail", "Miasto", "Rabat"}


def reader(language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=USERNAME, password=PASSWORD)
    return client


def words(text: str) -> str:
    return " ".join(text.split())


def worded(entries, language) -> set[str]:
    with translation.override(language):
        return {words(entry.description) for entry in entries}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_page_shows_a_ledger_note_in_the_other_language(simulator, language):
    showcase = build_showcase(simulator)
    entries = [e for e in LedgerEntry.objects.all() if e.reason]  # the platform's own
    assert len(entries) > 30
    own, other = worded(entries, language), worded(entries, OTHER[language])
    foreign = other - own
    assert foreign  # the two languages word them apart
    client = reader(language)
    shown = {}
    for name in PAGES:
        text = words(visible(client.get(url(name, showcase)).content.decode()))
        shown[name] = text
        found = sorted(note for note in foreign if note in text)
        assert found == [], name
    # ...and the balance history does show them, in the reader's words.
    with translation.override(language):
        listed = [
            words(e.description)
            for e in LedgerEntry.objects.filter(service=showcase.service).order_by(
                "-created_at", "-id"
            )[:50]
            if e.reason
        ]
    assert listed and all(note in shown["balance_history"] for note in listed)


def header_and_rows(response):
    content = b"".join(response.streaming_content)
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        rows = [[v or "" for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8").lstrip("\ufeff"))))
    return rows[0], rows[1:]


def test_every_download_is_headed_in_the_readers_language(simulator):
    showcase = build_showcase(simulator)
    polish, english = reader("pl"), reader("en")
    untranslated = {}
    for name in sorted(DOWNLOADS):
        pl_header, pl_rows = header_and_rows(polish.get(url(name, showcase)))
        en_header, _rows = header_and_rows(english.get(url(name, showcase)))
        assert len(pl_header) == len(en_header), name
        same = [p for p, e in zip(pl_header, en_header, strict=True) if p == e]
        if set(same) - SAME_IN_BOTH:
            untranslated[name] = same
        assert pl_rows, name  # the showcase has something in each
    assert untranslated == {}
    _header, rows = header_and_rows(polish.get(url("balance_csv", showcase)))
    notes = {row[5] for row in rows}
    entries = LedgerEntry.objects.filter(service=showcase.service)
    assert worded([e for e in entries if e.reason], "pl") <= {words(n) for n in notes}
