"""The CSV exports in the reader's language, each beside its Excel (PL) variant:
semicolons, decimal commas, UTF-8 with a byte-order mark, the same columns."""

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from accounts import ledger
from gateways import dispatch
from messaging import services

pytestmark = pytest.mark.django_db

BOM = "\ufeff"


def reader(service, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    return client


def body(response) -> str:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith(BOM)
    return text[len(BOM) :]


def plain(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response))))


def excel(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response)), delimiter=";"))


@pytest.fixture
def history(service, simulator):
    """A delivered and a rejected recipient, their charge and refund, a top-up, an SMS in."""
    message = services.submit(
        service.pk, services.SendRequest(recipients=["48600100123", "48600100000"], text="Hej")
    ).message
    dispatch.dispatch_batch()
    ledger.top_up(service.pk, Decimal("1234.5"), note="przelew 7/12")
    services.store_incoming(service.pk, "48601000001", "48500100200", "Tak; 1,5", None)
    return message


def exports(service, message):
    base = f"/services/{service.pk}/"
    return {
        "balance": f"{base}balance.csv",
        "recipients": f"{base}messages/{message.pk}/recipients.csv",
        "incoming": f"{base}incoming.csv",
        "messages": f"{base}messages.csv",
    }


HEADERS = {
    "en": {
        "balance": [
            "Time",
            "Kind",
            "Amount (PLN)",
            "Balance after (PLN)",
            "Reference",
            "Description",
        ],
        "recipients": [
            "Instance ID",
            "Number",
            "Status (API name)",
            "Status since",
            "Delivered at",
            "Status",
        ],
        "incoming": ["Received", "From", "To", "Text"],
        "messages": [
            "Message ID",
            "Accepted",
            "Send at",
            "Sent through",
            "Sender",
            "Text",
            "Recipients",
            "Parts",
            "Price (PLN)",
            "Refunded (PLN)",
            "Delivered",
            "Failed",
            "Waiting",
            "Cancelled",
        ],
    },
    "pl": {
        "balance": ["Czas", "Rodzaj", "Kwota (zł)", "Saldo po (zł)", "Referencja", "Opis"],
        "recipients": [
            "ID instancji",
            "Numer",
            "Status (nazwa w API)",
            "Status od",
            "Doręczono",
            "Status",
        ],
        "incoming": ["Odebrano", "Od", "Do", "Treść"],
        "messages": [
            "ID wiadomości",
            "Przyjęto",
            "Wysyłka o",
            "Kanał",
            "Nadawca",
            "Treść",
            "Odbiorcy",
            "Części",
            "Cena (zł)",
            "Zwrócono (zł)",
            "Doręczone",
            "Nieudane",
            "Oczekujące",
            "Anulowane",
        ],
    },
}


@pytest.mark.parametrize("language", HEADERS)
def test_headers_in_the_readers_language_in_both_variants(service, history, language):
    client = reader(service, language)
    for export, url in exports(service, history).items():
        assert plain(client.get(url))[0] == HEADERS[language][export], export
        assert excel(client.get(url, {"format": "excel"}))[0] == HEADERS[language][export]


def test_the_excel_variant_has_the_plain_ones_rows_with_decimal_commas(service, history):
    client = reader(service, "pl")
    for export, url in exports(service, history).items():
        commas = plain(client.get(url))
        semicolons = excel(client.get(url, {"format": "excel"}))
        assert len(semicolons) == len(commas) > 1, export
        for dotted, excelled in zip(commas, semicolons, strict=True):
            assert len(excelled) == len(dotted)
    rows = excel(client.get(exports(service, history)["balance"], {"format": "excel"}))
    top_up = rows[1]
    assert top_up[1] == "top_up" and top_up[5] == "przelew 7/12"
    assert (top_up[2], top_up[3]) == ("1234,5000", "1244,4300")  # 10 − 0.14 + 0.07 + 1234.5
    charge = next(row for row in rows if row[1] == "charge")
    assert charge[2] == "-0,1400"
    assert charge[5] == f"Wiadomość {history.pk}: 2 odbiorców × 0,0700 zł"
    dotted = plain(client.get(exports(service, history)["balance"]))
    assert dotted[1][2] == "1234.5000"  # the plain CSV keeps its decimal point
    received = excel(client.get(exports(service, history)["incoming"], {"format": "excel"}))
    assert received[1][3] == "Tak; 1,5"  # a semicolon in a cell is quoted, not a column


def test_recipients_keep_the_api_name_and_get_the_words(service, history):
    rows = plain(reader(service, "pl").get(exports(service, history)["recipients"]))
    assert {(row[1], row[2], row[5]) for row in rows[1:]} == {
        ("48600100123", "DELIVERED", "Doręczono"),
        ("48600100000", "REJECTED", "Odrzucono"),
    }


def test_the_excel_file_is_named_apart(service, history):
    response = reader(service, "en").get(exports(service, history)["balance"], {"format": "excel"})
    assert (
        response["Content-Disposition"] == f'attachment; filename="balance-{service.pk}-excel.csv"'
    )


def test_every_export_is_linked_beside_its_excel_variant(service, history):
    client = reader(service, "pl")
    for page, url in [
        ("balance/?kind=charge", f"/services/{service.pk}/balance.csv?kind=charge"),
        ("incoming/", f"/services/{service.pk}/incoming.csv"),
        ("messages/?q=Hej", f"/services/{service.pk}/messages.csv?q=Hej"),
        (f"messages/{history.pk}/", f"/services/{service.pk}/messages/{history.pk}/recipients.csv"),
    ]:
        html = client.get(f"/services/{service.pk}/{page}").content.decode()
        joiner = "&amp;" if "?" in url else "?"
        assert f'href="{url}"' in html, page
        assert f'href="{url}{joiner}format=excel"' in html, page
        assert ">Excel (PL)</a>" in html
