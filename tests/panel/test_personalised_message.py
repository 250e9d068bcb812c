"""The message page, its recipients' CSV, the list's refunds and cancelling, for a
personalised send: each recipient's own text, parts and price where it differs."""

import csv
import io
from decimal import Decimal

import pytest

from accounts import ledger
from messaging import services
from messaging.models import Recipient, Status
from messaging.transitions import Report, apply_reports

pytestmark = pytest.mark.django_db

LONG = "Łucja, zapraszamy " * 5  # 90 characters in UCS-2: two parts


def personalised(service):
    request = services.SendRequest(
        recipients=["48600100123", "48600100124", "48600100125"],
        text="",
        texts=["Cześć Jan", "Cześć Jan", LONG],
    )
    return services.submit(service.pk, request).message


def test_the_message_page_shows_each_recipients_own_text(alice_client, service):
    message = personalised(service)
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/").content.decode()
    assert LONG.strip() in page and "2 parts" in page
    assert page.count("Cześć Jan") >= 3  # the message's text, and each of its two recipients
    assert "each priced by their own text" in page and "0.2800" in page.replace(",", ".")


def test_an_ordinary_message_page_has_no_text_column(alice_client, service):
    request = services.SendRequest(recipients=["48600100123"], text="Hej")
    message = services.submit(service.pk, request).message
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/").content.decode()
    assert "each priced by their own text" not in page and "1 × " in page


def test_the_recipients_csv_carries_text_parts_and_price(alice_client, service):
    message = personalised(service)
    url = f"/services/{service.pk}/messages/{message.pk}/recipients.csv"
    body = b"".join(alice_client.get(url).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][-3:] == ["Text", "Parts", "Price (PLN)"]
    assert [row[-3:] for row in rows[1:]] == [
        ["Cześć Jan", "1", "0.0700"],
        ["Cześć Jan", "1", "0.0700"],
        [LONG, "2", "0.1400"],
    ]


def test_another_customers_personalised_message_and_csv_are_not_found(
    alice_client, service, make_service
):
    other = make_service(username="bob", balance=Decimal("10"))
    theirs = personalised(other)
    for path in ("", "recipients.csv"):
        url = f"/services/{service.pk}/messages/{theirs.pk}/{path}"
        assert alice_client.get(url).status_code == 404
        url = f"/services/{other.pk}/messages/{theirs.pk}/{path}"
        assert alice_client.get(url).status_code == 404


def test_cancel_says_what_came_back_and_the_list_counts_own_prices(alice_client, service):
    message = personalised(service)
    before = ledger.ledger_balance(service.pk)
    url = f"/services/{service.pk}/messages/{message.pk}/cancel/"
    page = alice_client.post(url, {"confirm": "yes"}, follow=True).content.decode()
    assert "3 recipients cancelled" in page and "0.28" in page.replace(",", ".")
    assert ledger.ledger_balance(service.pk) == before + Decimal("0.28")
    listing = alice_client.get(f"/services/{service.pk}/messages/").content.decode()
    assert "0.28" in listing.replace(",", ".")


def test_the_list_counts_a_failed_recipients_own_price(alice_client, service):
    message = personalised(service)
    own = Recipient.objects.get(message=message, text=LONG)
    apply_reports([Report(own.pk, Status.REJECTED)])
    listing = alice_client.get(f"/services/{service.pk}/messages/").content.decode()
    assert "0.14" in listing.replace(",", ".")
