"""Balance history, sent messages and received SMS: filters, pagination, CSV exports,
and nothing of another customer's."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind
from messaging import services
from messaging.models import IncomingMessage, Message, Status

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(body[1:])))


def send(service, numbers, text="Hello"):
    return services.submit(service.pk, services.SendRequest(recipients=numbers, text=text)).message


def backdate(model, pk, days):
    field = {"LedgerEntry": "created_at", "Message": "created_at"}.get(
        model.__name__, "received_at"
    )
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


# -- balance history -------------------------------------------------------------------------


def test_the_ledger_with_its_running_balance(alice_client, service):
    send(service, ["48501234567"])
    ledger.top_up(service.pk, Decimal("5"), note="transfer 7/12")
    page = alice_client.get(f"/services/{service.pk}/balance/").content.decode()
    assert "transfer 7/12" in page and "14.9300 PLN" in page and "9.9300 PLN" in page
    assert page.index("14.9300 PLN") < page.index("9.9300 PLN")  # newest first


def test_the_ledger_filtered_by_kind_and_date(alice_client, service):
    send(service, ["48501234567"])
    old = ledger.top_up(service.pk, Decimal("1"), note="old top-up")
    backdate(LedgerEntry, LedgerEntry.objects.get(note="old top-up").pk, 40)
    assert old
    url = f"/services/{service.pk}/balance/"
    charges = alice_client.get(url, {"kind": LedgerKind.CHARGE}).context["page"].object_list
    assert [e.kind for e in charges] == [LedgerKind.CHARGE]
    today = timezone.localdate().isoformat()
    recent = alice_client.get(url, {"date_from": today}).context["page"].object_list
    assert "old top-up" not in [e.note for e in recent]
    assert len(recent) == 2  # the test setup's top-up and the charge
    wrong = alice_client.get(url, {"date_from": today, "date_to": "2020-01-01"})
    assert "before the start date" in wrong.content.decode()


def test_the_ledger_is_paginated_and_keeps_the_filter(alice_client, service):
    for n in range(60):
        ledger.top_up(service.pk, Decimal("0.01"), note=f"t{n}")
    page = alice_client.get(f"/services/{service.pk}/balance/", {"kind": "top_up"})
    assert len(page.context["page"].object_list) == 50
    assert "?kind=top_up&amp;page=2" in page.content.decode()


def test_the_ledger_csv_follows_the_filter(alice_client, service):
    send(service, ["48501234567", "48501234568"])
    ledger.adjust(service.pk, Decimal("-1"), note="=HYPERLINK(1)")
    rows = rows_of(alice_client.get(f"/services/{service.pk}/balance.csv"))
    assert rows[0] == [
        "Time",
        "Kind",
        "Amount (PLN)",
        "Balance after (PLN)",
        "Reference",
        "Description",
    ]
    assert [r[1] for r in rows[1:]] == ["adjustment", "charge", "top_up"]
    charge = rows[2]
    assert charge[2:4] == ["-0.1400", "9.8600"]
    assert rows[1][5] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    only = rows_of(alice_client.get(f"/services/{service.pk}/balance.csv", {"kind": "charge"}))
    assert [r[1] for r in only[1:]] == ["charge"]


# -- sent messages ------------------------------------------------------------------------------


def test_messages_filtered_by_text_number_status_and_date(alice_client, service, simulator):
    from gateways import dispatch

    greeting = send(service, ["48501234567"], "Dzień dobry")
    invoice = send(service, ["48501234000"], "Faktura 12")
    old = send(service, ["48501234568"], "Stara")
    backdate(Message, old.pk, 10)
    dispatch.dispatch_batch()
    url = f"/services/{service.pk}/messages/"

    def found(**query):
        return [m.pk for m in alice_client.get(url, query).context["page"].object_list]

    assert found(q="faktura") == [invoice.pk]
    assert found(q="+48 501 234 567") == [greeting.pk]
    assert found(status=Status.REJECTED) == [invoice.pk]
    assert sorted(found(date_from=timezone.localdate().isoformat())) == sorted(
        [greeting.pk, invoice.pk]
    )
    assert found(q="nothing like it") == []
    assert "No messages match." in alice_client.get(url, {"q": "zzz"}).content.decode()


def test_a_messages_recipients_as_csv(alice_client, service, simulator):
    from gateways import dispatch

    message = send(service, ["48501234567", "48501234000"])
    dispatch.dispatch_batch()
    rows = rows_of(alice_client.get(f"/services/{service.pk}/messages/{message.pk}/recipients.csv"))
    assert rows[0] == [
        "Instance ID",
        "Number",
        "Status (API name)",
        "Status since",
        "Delivered at",
        "Status",
    ]
    assert {(r[1], r[2]) for r in rows[1:]} == {
        ("48501234567", "DELIVERED"),
        ("48501234000", "REJECTED"),
    }
    delivered = next(r for r in rows[1:] if r[2] == "DELIVERED")
    assert delivered[4]


# -- received SMS --------------------------------------------------------------------------------


def test_received_sms_filtered_and_exported(alice_client, service):
    services.store_incoming(service.pk, "+48601000001", "48500100200", "Tak, potwierdzam", None)
    services.store_incoming(service.pk, "48601000002", "48500100200", "=cmd|' /C calc'!A0", None)
    old = services.store_incoming(service.pk, "48601000003", "48500100200", "stare", None)
    backdate(IncomingMessage, old.pk, 5)
    url = f"/services/{service.pk}/incoming/"

    def found(**query):
        return [sms.text for sms in alice_client.get(url, query).context["page"].object_list]

    assert found(q="potwierdzam") == ["Tak, potwierdzam"]
    assert found(q="601 000 002") == ["=cmd|' /C calc'!A0"]
    assert "stare" not in found(date_from=timezone.localdate().isoformat())
    rows = rows_of(alice_client.get(f"/services/{service.pk}/incoming.csv", {"q": "calc"}))
    assert rows[0] == ["Received", "From", "To", "Text"]
    assert rows[1][3] == "'=cmd|' /C calc'!A0"
    assert len(rows) == 2


# -- another customer's --------------------------------------------------------------------------


def test_every_history_page_of_another_customer_is_not_found(alice_client, make_service):
    bob = make_service(username="bob", balance=Decimal("5"))
    message = send(bob, ["48501234567"])
    for path in (
        f"/services/{bob.pk}/balance/",
        f"/services/{bob.pk}/balance.csv",
        f"/services/{bob.pk}/incoming.csv",
        f"/services/{bob.pk}/messages/",
        f"/services/{bob.pk}/messages.csv",
        f"/services/{bob.pk}/messages/{message.pk}/recipients.csv",
    ):
        assert alice_client.get(path).status_code == 404, path
    mine = alice_client.get("/").context["services"][0]
    assert (
        alice_client.get(f"/services/{mine.pk}/messages/{message.pk}/recipients.csv").status_code
        == 404
    )


@pytest.mark.parametrize("query", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}])
def test_dates_out_of_range_are_form_errors_not_crashes(alice_client, service, query):
    for path in ("messages/", "balance/", "incoming/"):
        response = alice_client.get(f"/services/{service.pk}/{path}", query)
        assert response.status_code == 200, path
        assert "Give a date from 2000" in response.content.decode()
    rows = rows_of(alice_client.get(f"/services/{service.pk}/balance.csv", query))
    assert rows[0][0] == "Time"
    rows_of(alice_client.get(f"/services/{service.pk}/incoming.csv", query))
    rows_of(alice_client.get(f"/services/{service.pk}/messages.csv", query))
