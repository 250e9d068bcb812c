"""The stoplist in the send pipeline and STOP/START by incoming SMS (messaging.stoplist)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LedgerEntry
from messaging import services, stoplist
from messaging.models import (
    Message,
    Recipient,
    Source,
    StopAction,
    StopChange,
    StopEntry,
    StopSettings,
    StopVia,
)

pytestmark = pytest.mark.django_db


def send(service, *recipients, text="Promocja"):
    return services.submit(service.pk, services.SendRequest(recipients=recipients, text=text))


def charged(service) -> Decimal:
    return -sum(
        (e.amount for e in LedgerEntry.objects.filter(service=service, kind="charge")),
        Decimal(0),
    )


def test_a_stopped_number_is_left_out_and_not_charged(service):
    stoplist.add(service.customer_id, ["600 100 200"], StopVia.PANEL)

    accepted = send(service, "600100200", "600100201", "600100202")

    assert accepted.numbers == ["48600100201", "48600100202"]
    assert accepted.stopped == 1
    assert accepted.message.recipient_count == 2
    assert set(Recipient.objects.values_list("number", flat=True)) == {
        "48600100201",
        "48600100202",
    }
    assert charged(service) == accepted.message.recipient_price * 2 > 0


def test_every_number_stopped_is_refused_like_an_empty_list(service):
    stoplist.add(service.customer_id, ["600100200", "600100201"], StopVia.PANEL)

    with pytest.raises(services.AllStopped) as refused:
        send(service, "600100200", "+48 600 100 201")

    assert isinstance(refused.value, services.RecipientListEmpty)
    assert not Message.objects.exists()
    assert charged(service) == 0


def test_the_platform_list_applies_to_every_customer(make_service):
    first = make_service(balance=Decimal("10"))
    second = make_service(balance=Decimal("10"))
    stoplist.add(None, ["600100200"], StopVia.ADMIN)

    for service in (first, second):
        accepted = send(service, "600100200", "600100201")
        assert accepted.numbers == ["48600100201"]
        assert accepted.stopped == 1


def test_one_customers_list_never_affects_another(make_service):
    first = make_service(balance=Decimal("10"))
    second = make_service(balance=Decimal("10"))
    stoplist.add(first.customer_id, ["600100200"], StopVia.PANEL)

    assert send(second, "600100200").numbers == ["48600100200"]
    with pytest.raises(services.AllStopped):
        send(first, "600100200")


def test_the_list_is_the_customers_for_each_of_their_services(make_service):
    first = make_service(balance=Decimal("10"))
    sibling = make_service(customer=first.customer, balance=Decimal("10"))
    stoplist.add(first.customer_id, ["600100200"], StopVia.PANEL)

    with pytest.raises(services.AllStopped):
        send(sibling, "600100200")


def test_estimate_counts_without_the_stopped_numbers(service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)

    estimate = services.estimate(
        service.pk, services.SendRequest(recipients=["600100200", "600100201"], text="x")
    )

    assert (estimate.numbers, estimate.stopped) == (1, 1)
    assert estimate.price == estimate.recipient_price
    only_stopped = services.estimate(
        service.pk, services.SendRequest(recipients=["600100200"], text="x")
    )
    assert isinstance(only_stopped.problem, services.AllStopped)


def test_the_look_up_is_one_query_however_many_numbers(service):
    stoplist.add(service.customer_id, ["48600000007"], StopVia.PANEL)
    found = [f"48600{n:06d}" for n in range(20_000)]

    with CaptureQueriesContext(connection) as queries:
        kept, stopped = stoplist.split(service.pk, found)

    assert stopped == 1 and len(kept) == 19_999
    # SQLite asks in chunks of bound parameters.
    expected = 1 if connection.vendor == "postgresql" else 20_000 // stoplist._SQLITE_CHUNK
    assert len(queries) == expected


def test_adding_logs_each_new_number_once(service, django_user_model):
    user = service.customer.user
    added, invalid = stoplist.add(
        service.customer_id,
        ["600100200", "600-100-200", "123", "600100201"],
        StopVia.PANEL,
        user=user,
    )
    again, _ = stoplist.add(service.customer_id, ["600100200"], StopVia.IMPORT)

    assert (added, invalid, again) == (["48600100200", "48600100201"], 1, [])
    log = StopChange.objects.order_by("id")
    assert [(c.number, c.action, c.via, c.user) for c in log] == [
        ("48600100200", StopAction.ADDED, StopVia.PANEL, user),
        ("48600100201", StopAction.ADDED, StopVia.PANEL, user),
    ]


def test_adding_to_the_platform_list_twice_logs_once():
    stoplist.add(None, ["600100200"], StopVia.ADMIN)
    assert stoplist.add(None, ["600100200"], StopVia.ADMIN) == ([], 0)
    assert StopChange.objects.count() == StopEntry.objects.count() == 1


def test_removing_logs_and_allows_sending_again(service):
    stoplist.add(service.customer_id, ["600100200"], StopVia.PANEL)

    assert stoplist.remove(service.customer_id, ["600100200"], StopVia.PANEL) == ["48600100200"]

    assert send(service, "600100200").numbers == ["48600100200"]
    assert StopChange.objects.filter(action=StopAction.REMOVED).count() == 1


# -- stop words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "Stop",
        " stop ",
        "stop\n",
        "NIE",
        "nie",
        "STOP SMS",
        "stop  sms",
        "REZYGNUJE",
        "rezygnuję",
        "Rezygnuję.",
        "STOP!",
    ],
)
def test_stop_words(text):
    assert stoplist.word_of(text) == StopAction.ADDED


@pytest.mark.parametrize("text", ["START", "start", " Start "])
def test_start_words(text):
    assert stoplist.word_of(text) == StopAction.REMOVED


@pytest.mark.parametrize("text", ["", "STOP please", "nie wiem", "STOPSMS", "Dzień dobry"])
def test_other_texts_are_no_word(text):
    assert stoplist.word_of(text) is None


def test_the_words_come_from_the_settings(settings):
    settings.STOP_WORDS = ["WYPISZ"]
    assert stoplist.word_of("wypisz") == StopAction.ADDED
    assert stoplist.word_of("STOP") is None


def incoming(service, text, number="48600100200"):
    return services.store_incoming(service.pk, number, "48500000000", text, None)


def test_an_incoming_stop_puts_the_sender_on_the_list_and_logs_its_sms(service):
    sms = incoming(service, "Rezygnuję", number="+48 600 100 200")

    entry = StopEntry.objects.get()
    assert (entry.customer_id, entry.number) == (service.customer_id, "48600100200")
    change = StopChange.objects.get()
    assert (change.action, change.via, change.incoming) == (
        StopAction.ADDED,
        StopVia.STOP_WORD,
        sms,
    )
    with pytest.raises(services.AllStopped):
        send(service, "600100200")


def test_an_incoming_start_takes_it_off(service):
    incoming(service, "STOP")
    sms = incoming(service, "start")

    assert not StopEntry.objects.exists()
    last = StopChange.objects.order_by("-id").first()
    assert (last.action, last.via, last.incoming) == (StopAction.REMOVED, StopVia.START_WORD, sms)
    assert send(service, "600100200").numbers == ["48600100200"]


def test_other_incoming_sms_change_nothing(service):
    incoming(service, "STOP wysyłania faktur?")
    assert not StopEntry.objects.exists()
    assert not StopChange.objects.exists()


def test_no_confirmation_unless_the_customer_asked(service):
    StopSettings.objects.create(customer=service.customer, confirm=False, stop_text="Wypisano.")
    incoming(service, "STOP")
    assert not Message.objects.exists()
    assert charged(service) == 0


def test_the_confirmation_is_one_charged_sms_to_the_stopped_number(service):
    StopSettings.objects.create(
        customer=service.customer, confirm=True, stop_text="Wypisano Cię z SMS-ów."
    )
    incoming(service, "STOP")

    message = Message.objects.get()
    assert (message.source, message.text, message.recipient_count) == (
        Source.STOP_REPLY,
        "Wypisano Cię z SMS-ów.",
        1,
    )
    assert Recipient.objects.get().number == "48600100200"
    assert charged(service) == message.price == message.recipient_price > 0
    assert StopChange.objects.get().confirmation == message
    # Still on the list: only the confirmation reaches it.
    with pytest.raises(services.AllStopped):
        send(service, "600100200")


def test_a_repeated_stop_is_not_answered_again(service):
    """Each answer is charged: texting STOP over and over must not run up the bill."""
    StopSettings.objects.create(customer=service.customer, confirm=True, stop_text="Wypisano.")
    for _ in range(3):
        incoming(service, "STOP")
    assert Message.objects.count() == 1
    assert StopChange.objects.count() == 1
    # START changes the list again, so it is answered (with its own text, if any).
    incoming(service, "START")
    incoming(service, "STOP")
    assert Message.objects.filter(text="Wypisano.").count() == 2


def test_a_customer_who_cannot_pay_gets_no_confirmation_but_the_stop_counts(make_service):
    poor = make_service(balance=Decimal("0"))
    StopSettings.objects.create(customer=poor.customer, confirm=True, stop_text="Wypisano.")

    incoming(poor, "STOP")

    assert not Message.objects.exists()
    assert StopEntry.objects.filter(customer=poor.customer).count() == 1
    assert StopChange.objects.get().confirmation is None


def test_start_is_confirmed_with_its_own_text(service):
    StopSettings.objects.create(
        customer=service.customer, confirm=True, stop_text="Wypisano.", start_text="Zapisano."
    )
    incoming(service, "STOP")
    incoming(service, "START")

    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == [
        "Wypisano.",
        "Zapisano.",
    ]


def test_a_stop_from_a_number_no_send_can_reach_is_ignored(service):
    incoming(service, "STOP", number="ORANGE")
    assert not StopEntry.objects.exists()


def test_the_answer_to_a_stop_leaves_at_night_and_keeps_to_the_platform_list(service, monkeypatch):
    """The answer replies to the SMS its recipient just sent: quiet hours do not hold it.
    The customer's list cannot stop it (its recipient is on it by now); the platform's can."""
    from tests.quiet_hours import MONDAY_EVENING, freeze, switch_on

    StopSettings.objects.create(customer=service.customer, confirm=True, stop_text="Wypisano.")
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    incoming(service, "STOP")
    answer = Message.objects.get(source=Source.STOP_REPLY)
    assert answer.send_at == MONDAY_EVENING

    stoplist.add(None, ["48600100201"], StopVia.ADMIN)
    incoming(service, "STOP", number="48600100201")
    assert Message.objects.filter(source=Source.STOP_REPLY).count() == 1
    assert StopEntry.objects.filter(customer=service.customer, number="48600100201").exists()
