"""A STOP arriving while a large send to that number is being accepted, on PostgreSQL.

What is guaranteed (messaging.stoplist): a send this large honours the list as it stood
when the send read it, just before charging (a small one reads it in its charging
statement: tests/messaging/test_stoplist_statement.py). A STOP committed after that read
leaves the number in that send, sent and charged; one committed before takes it out,
neither sent nor charged. Never charged without a recipient row that will be sent: the
charge is always the price of exactly the recipients stored.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import LedgerEntry, LedgerKind
from messaging import services, stoplist
from messaging.models import Message, Recipient, StopEntry, StopVia

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SIZE = 3000  # above services.COPY_THRESHOLD: the locked path, recipients streamed in by COPY
SMALL = 100  # the one statement that reads the list, charges and stores (messaging.pg)
TARGET = "48600000007"


def numbers(offset=0, size=SIZE):
    return [f"48600{offset + n:06d}" for n in range(size)]


def assert_charged_exactly_the_stored(message: Message):
    stored = Recipient.objects.filter(message=message).count()
    charge = LedgerEntry.objects.get(reference=f"charge:message:{message.pk}")
    assert stored == message.recipient_count
    assert -charge.amount == message.recipient_price * stored


def test_a_stop_still_uncommitted_when_the_send_reads_the_list_leaves_the_number_in(
    make_service,
):
    service = make_service(username="race1", balance=Decimal("1000"))
    added, may_commit, errors = threading.Event(), threading.Event(), []

    def stop_in_flight():
        try:
            from django.db import transaction

            with transaction.atomic():
                stoplist.add(service.customer_id, [TARGET], StopVia.STOP_WORD)
                added.set()
                may_commit.wait(30)
        except Exception as exc:  # recorded for the assertion
            errors.append(repr(exc))
        finally:
            connections.close_all()

    thread = threading.Thread(target=stop_in_flight)
    thread.start()
    assert added.wait(30)
    accepted = services.submit(service.pk, services.SendRequest(recipients=numbers(), text="x"))
    may_commit.set()
    thread.join()

    assert errors == []
    assert accepted.stopped == 0
    assert Recipient.objects.filter(message=accepted.message, number=TARGET).exists()
    assert_charged_exactly_the_stored(accepted.message)
    # Committed now: the next send leaves it out and does not charge it.
    after = services.submit(service.pk, services.SendRequest(recipients=numbers(), text="x"))
    assert after.stopped == 1
    assert not Recipient.objects.filter(message=after.message, number=TARGET).exists()
    assert_charged_exactly_the_stored(after.message)


@pytest.mark.parametrize("size", [SIZE, SMALL])
@pytest.mark.parametrize("round_", range(4))
def test_a_stop_racing_a_send_is_either_sent_and_charged_or_left_out_and_not(
    make_service, round_, size
):
    service = make_service(username=f"race{round_}x{size}", balance=Decimal("1000"))
    start, results, errors = threading.Barrier(2), {}, []

    def send():
        try:
            start.wait(10)
            results["send"] = services.submit(
                service.pk, services.SendRequest(recipients=numbers(size=size), text="x")
            )
        except Exception as exc:  # recorded for the assertion
            errors.append(repr(exc))
        finally:
            connections.close_all()

    def stop():
        try:
            start.wait(10)
            services.store_incoming(service.pk, TARGET, "48500000000", "STOP", None)
        except Exception as exc:  # recorded for the assertion
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send), threading.Thread(target=stop)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert StopEntry.objects.filter(customer_id=service.customer_id, number=TARGET).exists()
    accepted = results["send"]
    message = Message.objects.get(pk=accepted.message.pk)
    in_send = Recipient.objects.filter(message=message, number=TARGET).exists()
    # One of the two outcomes, and the figures agree with it.
    assert in_send == (accepted.stopped == 0)
    assert message.recipient_count == size - accepted.stopped
    assert_charged_exactly_the_stored(message)
    total_charged = -sum(
        e.amount for e in LedgerEntry.objects.filter(service=service, kind=LedgerKind.CHARGE)
    )
    assert total_charged == message.price


def test_two_stops_of_one_number_at_once_make_one_entry_and_one_log_line(make_service):
    from messaging.models import StopChange

    service = make_service(username="twostops", balance=Decimal("10"))
    start, errors = threading.Barrier(2), []

    def stop():
        try:
            start.wait(10)
            services.store_incoming(service.pk, TARGET, "48500000000", "STOP", None)
        except Exception as exc:  # recorded for the assertion
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert StopEntry.objects.filter(number=TARGET).count() == 1
    assert StopChange.objects.filter(number=TARGET).count() == 1
