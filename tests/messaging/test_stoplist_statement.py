"""The STOP lists read inside the send's one statement (pg.charge_and_store): on PostgreSQL
a send of up to COPY_THRESHOLD numbers leaves the stopped ones out, prices, charges and
stores only the others, and says which it left out, without a look-up of its own. The
answers are those of the look-up before the send (messaging.stoplist.split), which
SQLite and large sends still use: the tests not marked postgres run on both."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LedgerEntry, LedgerKind
from messaging import services, stoplist
from messaging.models import Message, Recipient, StopEntry, StopVia

pytestmark = pytest.mark.django_db

PRICE = Decimal("0.0700")  # the default tariff's standard part


def send(service, recipients, **options):
    request = services.SendRequest(recipients=recipients, text="Promocja", **options)
    return services.submit(service.pk, request)


def stop_list_reads(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "messaging_stopentry" in q["sql"]]


@pytest.mark.postgres
def test_a_small_send_leaves_stopped_numbers_out_in_its_one_statement(service):
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)
    stoplist.add(None, ["600100203"], StopVia.ADMIN)  # the platform's list
    balance = service.balance

    with CaptureQueriesContext(connection) as queries:
        accepted = send(service, ["600100200", "600100201", "600100202", "600100203"])

    # The answer every door words: the numbers kept, in order, and how many were left out.
    assert accepted.numbers == ["48600100200", "48600100202"]
    assert accepted.stopped == 2
    assert accepted.part_total == 2
    # Neither inserted nor charged.
    message = Message.objects.get(pk=accepted.message.pk)
    assert message.recipient_count == accepted.message.recipient_count == 2
    assert list(
        Recipient.objects.filter(message=message).order_by("id").values_list("number", flat=True)
    ) == ["48600100200", "48600100202"]
    entry = LedgerEntry.objects.get(service=service, kind=LedgerKind.CHARGE)
    assert entry.amount == -2 * PRICE == -message.price
    assert entry.params == services.charge_params(message)
    assert entry.params["count"] == 2
    service.refresh_from_db()
    assert service.balance == balance - 2 * PRICE
    # One statement read the lists and stored the send: no look-up before it.
    [read] = stop_list_reads(queries)
    assert read.lstrip().startswith("WITH price AS")


@pytest.mark.postgres
def test_every_number_stopped_is_refused_by_the_statement_with_nothing_written(service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)
    stoplist.add(None, ["600100201"], StopVia.ADMIN)

    with CaptureQueriesContext(connection) as queries, pytest.raises(services.AllStopped):
        send(service, ["600100200", "600100201"])

    assert not Message.objects.exists() and not Recipient.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.CHARGE).exists()
    assert Decimal(service.balance) == type(service).objects.get(pk=service.pk).balance
    [read] = stop_list_reads(queries)
    assert read.lstrip().startswith("WITH price AS")


@pytest.mark.postgres
def test_a_stop_committed_after_the_send_was_read_is_still_honoured(service, monkeypatch):
    # The lists are read when the send charges, not before: a STOP that lands between
    # reading the request and the statement takes the number out, uncharged.
    prepare = services._prepare

    def prepare_then_stop(*args, **kwargs):
        message = prepare(*args, **kwargs)
        stoplist.add(service.customer_id, ["600100201"], StopVia.STOP_WORD)
        return message

    monkeypatch.setattr(services, "_prepare", prepare_then_stop)
    accepted = send(service, ["600100200", "600100201"])

    assert accepted.stopped == 1 and accepted.numbers == ["48600100200"]
    assert not Recipient.objects.filter(number="48600100201").exists()
    assert accepted.message.price == PRICE


def test_a_balance_for_the_kept_numbers_pays_for_the_send(make_service):
    service = make_service(balance=PRICE)
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)

    accepted = send(service, ["600100200", "600100201"])

    assert accepted.stopped == 1
    service.refresh_from_db()
    assert service.balance == 0


def test_a_send_short_of_money_for_the_kept_numbers_names_their_price(make_service):
    service = make_service(balance=PRICE)
    stoplist.add(service.customer_id, ["600100202"], StopVia.PANEL)

    with pytest.raises(services.InsufficientFunds) as refused:
        send(service, ["600100200", "600100201", "600100202"])

    assert refused.value.needed == 2 * PRICE
    assert not Message.objects.exists()


def test_stopped_numbers_only_are_refused_as_such_before_any_other_refusal(service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)

    # An unknown sender is refused too, but the STOP list is what the customer hears first.
    with pytest.raises(services.AllStopped):
        send(service, ["600100200"], sender="NIEZNANY")
    with pytest.raises(services.SenderNotRegistered):
        send(service, ["600100201"], sender="NIEZNANY")


def test_an_express_send_with_one_number_kept_is_express(service):
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)

    accepted = send(service, ["600100200", "600100201"], express=True)

    assert accepted.stopped == 1
    assert accepted.message.express  # express applies to one recipient: the one kept


def personal(service, pairs):
    request = services.SendRequest(
        recipients=[number for number, _ in pairs], text="", texts=[text for _, text in pairs]
    )
    return services.submit(service.pk, request)


def test_a_personalised_send_is_shaped_by_the_numbers_kept(service):
    stoplist.add(service.customer_id, ["600100200", "600100201"], StopVia.PANEL)
    pairs = [
        ("600100200", "Cześć Ala"),  # stopped: their text is the most common, first seen
        ("600100201", "Cześć Ala"),
        ("600100202", "Cześć Ola"),
        ("600100203", "Cześć Ola"),
        ("600100204", "Cześć Ewa"),
    ]

    with CaptureQueriesContext(connection) as queries:
        accepted = personal(service, pairs)

    assert accepted.stopped == 2
    assert accepted.numbers == ["48600100202", "48600100203", "48600100204"]
    message = Message.objects.get(pk=accepted.message.pk)
    assert message.text == "Cześć Ola" and message.recipient_count == 3
    assert dict(Recipient.objects.values_list("number", "text")) == {
        "48600100202": None,
        "48600100203": None,
        "48600100204": "Cześć Ewa",
    }
    assert message.price == 3 * PRICE
    assert LedgerEntry.objects.get(kind=LedgerKind.CHARGE).amount == -3 * PRICE
    if connection.vendor == "postgresql":
        # Read by the statements only: the first found them and wrote nothing, the
        # second stored the send read again without them.
        reads = stop_list_reads(queries)
        assert len(reads) == 2
        assert all(read.lstrip().startswith("WITH own AS") for read in reads)


def test_a_text_only_a_stopped_number_has_refuses_nothing(service):
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)

    # Its field is empty: a text the send would refuse, were the number not left out.
    accepted = personal(service, [("600100200", "Cześć Ola"), ("600100201", " ")])

    assert accepted.stopped == 1 and accepted.numbers == ["48600100200"]
    assert StopEntry.objects.count() == 1
