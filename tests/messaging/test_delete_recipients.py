"""Deleting recipients for their customer (``services.delete_recipients``, SMSC ``del=1``):
one SMS at a time, all or none, the message gone with its last one, the money trail kept."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import LedgerEntry
from messaging import services, transitions
from messaging.models import Message, Recipient, Source, Status
from messaging.transitions import Report

pytestmark = pytest.mark.django_db

A, B, C = "48600100001", "48600100002", "48600100003"


def send(service, numbers=(A, B), **fields):
    request = services.SendRequest(recipients=list(numbers), text="Hej", **fields)
    return services.submit(service.pk, request).message


def finish(message, status=Status.DELIVERED, numbers=None):
    """Recipients of the message final through the gateways' reports (failures refunded)."""
    recipients = Recipient.objects.filter(message=message)
    if numbers is not None:
        recipients = recipients.filter(number__in=numbers)
    transitions.apply_reports(
        [Report(pk, status) for pk in recipients.values_list("pk", flat=True)]
    )


def shown(service, message) -> list[tuple[str, str]]:
    return services.progress(service.pk, message.pk).recipients.pairs()


@pytest.fixture
def customer(make_service):
    return make_service(username="alice", balance=Decimal("100"))


def test_deleting_one_number_leaves_the_others_of_its_message(customer):
    message = send(customer)
    finish(message)

    services.delete_recipients(customer.pk, [(message.pk, A)])

    assert shown(customer, message) == [(B, Status.DELIVERED)]
    progress = services.progress(customer.pk, message.pk)
    assert (progress.recipient_count, progress.success_count) == (1, 1)
    message.refresh_from_db()
    assert message.deleted_at is None and message.text == "Hej"
    services.delete_recipients(customer.pk, [(message.pk, B)])  # the other one still can be


def test_deleting_the_last_number_deletes_the_message_and_keeps_the_money_trail(customer):
    message = send(customer)
    finish(message, Status.REJECTED)  # refunded
    entries = list(LedgerEntry.objects.filter(service=customer).values_list("kind", "amount"))

    services.delete_recipients(customer.pk, [(message.pk, A)])
    services.delete_recipients(customer.pk, [(message.pk, B)])

    kept = Message.objects.get(pk=message.pk)
    assert kept.deleted_at is not None and kept.text == ""
    assert (kept.recipient_count, kept.price) == (2, message.price)
    assert list(kept.recipients.values_list("status", "refunded")) == [(Status.REJECTED, True)] * 2
    assert list(LedgerEntry.objects.filter(service=customer).values_list("kind", "amount")) == (
        entries
    )
    with pytest.raises(services.MessageNotFound):
        services.progress(customer.pk, message.pk)
    with pytest.raises(services.MessageNotFound):
        services.cancel(customer.pk, message.pk)


def test_a_number_deleted_once_is_not_found_the_second_time(customer):
    message = send(customer)
    finish(message)
    services.delete_recipients(customer.pk, [(message.pk, A)])

    with pytest.raises(services.MessageNotFound):
        services.delete_recipients(customer.pk, [(message.pk, A)])


def test_only_final_recipients_are_deleted_and_a_refusal_deletes_none(customer):
    message = send(customer, (A, B, C))
    finish(message, numbers=[A, B])

    with pytest.raises(services.MessageInFlight):
        services.delete_recipients(customer.pk, [(message.pk, A), (message.pk, C)])

    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()
    services.delete_recipients(customer.pk, [(message.pk, A)])  # C still pending: A alone goes
    assert [n for n, _ in shown(customer, message)] == [B, C]


def test_one_pair_not_found_deletes_none_of_the_others(customer):
    first, second = send(customer, (A,)), send(customer, (B,))
    finish(first), finish(second)

    with pytest.raises(services.MessageNotFound):
        services.delete_recipients(customer.pk, [(first.pk, A), (second.pk, C)])

    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()
    assert Message.objects.filter(deleted_at=None).count() == 2


def test_another_customers_recipient_and_a_code_are_not_found(customer, make_service):
    theirs = send(make_service(username="bob", balance=Decimal("10")), (A,))
    code = send(customer, (B,), source=Source.CODE)
    finish(theirs), finish(code)

    for pair in [(theirs.pk, A), (code.pk, B)]:
        with pytest.raises(services.MessageNotFound):
            services.delete_recipients(customer.pk, [pair])
    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()


def test_many_pairs_cost_the_same_statements_as_two(customer):
    small = [send(customer, (A,)) for _ in range(2)]
    large = [send(customer, (A,)) for _ in range(20)]
    for message in small + large:
        finish(message)

    def statements(messages):
        with CaptureQueriesContext(connection) as queries:
            services.delete_recipients(customer.pk, [(m.pk, A) for m in messages])
        return len(queries)

    assert statements(large) == statements(small)


def at_once(customer, first_pairs, second_pairs) -> list[str]:
    """Two deletes, the second begun while the first has deleted but not yet committed;
    what each answered ("ok" or the refusal's name), first's first."""
    answers, first_deleted, release = {}, threading.Event(), threading.Event()

    def delete(which, pairs):
        try:
            with transaction.atomic():
                services.delete_recipients(customer.pk, pairs)
                if which == 0:
                    first_deleted.set()
                    release.wait(10)
            answers[which] = "ok"
        except services.SendError as exc:
            answers[which] = type(exc).__name__
        finally:
            first_deleted.set()
            connection.close()

    first = threading.Thread(target=delete, args=(0, first_pairs))
    first.start()
    first_deleted.wait(10)
    second = threading.Thread(target=delete, args=(1, second_pairs))
    second.start()
    time.sleep(0.5)  # the second waits on the message's lock meanwhile
    release.set()
    first.join(), second.join()
    return [answers[0], answers[1]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_number_deleted_twice_at_once_is_deleted_once(customer):
    message = send(customer)
    finish(message)

    assert at_once(customer, [(message.pk, A)], [(message.pk, A)]) == ["ok", "MessageNotFound"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deletes_at_once_agree_on_which_deleted_the_last_number(customer):
    message = send(customer)
    finish(message)

    assert at_once(customer, [(message.pk, A)], [(message.pk, B)]) == ["ok", "ok"]

    kept = Message.objects.get(pk=message.pk)
    assert kept.deleted_at is not None and kept.text == ""


@pytest.mark.postgres
def test_a_kept_list_of_a_large_message_leaves_deleted_numbers_out(customer, settings):
    settings.PROGRESS_CACHE_MIN_RECIPIENTS = 1
    message = send(customer, (A, B, C))
    assert len(shown(customer, message)) == 3  # the list is kept from here
    ids = list(message.recipients.order_by("id").values_list("id", flat=True))
    transitions.apply_reports([Report(ids[0], Status.DELIVERED), Report(ids[2], Status.REJECTED)])
    services.delete_recipients(customer.pk, [(message.pk, A)])

    progress = services.progress(customer.pk, message.pk)

    assert progress.recipients.pairs() == [(B, Status.PENDING), (C, Status.REJECTED)]
    assert (progress.recipient_count, progress.success_count, progress.failure_count) == (2, 0, 1)
