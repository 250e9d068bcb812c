"""What a customer sees of messages and recipients (``Message.objects.visible_to``,
``Recipient.objects.visible_to``): the service's own, not deleted, not a confirmation code."""

from decimal import Decimal

import pytest
from django.utils import timezone

from messaging.models import Message, Recipient, Source
from tests.sending import send

pytestmark = pytest.mark.django_db

A, B = "48600100001", "48600100002"


@pytest.fixture
def customer(make_service):
    return make_service(balance=Decimal("100"))


@pytest.fixture
def other(make_service):
    return make_service(balance=Decimal("100"))


def test_a_service_sees_its_own_messages_only(customer, other):
    mine, theirs = send(customer, (A, B)), send(other, (A, B))

    assert list(Message.objects.visible_to(customer.pk)) == [mine]
    assert list(Message.objects.visible_to(other.pk)) == [theirs]


def test_a_confirmation_codes_message_is_not_seen(customer):
    send(customer, (A, B), source=Source.CODE)

    assert not Message.objects.visible_to(customer.pk).exists()
    assert not Recipient.objects.visible_to(customer.pk).exists()


def test_a_deleted_message_is_not_seen_nor_its_recipients(customer):
    message = send(customer, (A, B))
    Message.objects.filter(pk=message.pk).update(deleted_at=timezone.now())

    assert not Message.objects.visible_to(customer.pk).exists()
    assert not Recipient.objects.visible_to(customer.pk).exists()


def test_a_deleted_recipient_is_not_seen_and_its_message_still_is(customer):
    message = send(customer, (A, B))
    message.recipients.filter(number=A).update(deleted_at=timezone.now())

    assert list(Message.objects.visible_to(customer.pk)) == [message]
    assert [r.number for r in Recipient.objects.visible_to(customer.pk)] == [B]
    assert [r.number for r in message.recipients.shown()] == [B]
    assert [r.number for r in message.recipients.deleted()] == [A]


def test_a_service_sees_its_own_recipients_only(customer, other):
    send(customer, numbers=(A,))
    send(other, numbers=(B,))

    assert [r.number for r in Recipient.objects.visible_to(customer.pk)] == [A]


def test_the_rule_is_part_of_the_one_statement(customer, django_assert_num_queries):
    message = send(customer, (A, B))

    with django_assert_num_queries(1):
        assert Message.objects.visible_to(customer.pk).filter(pk=message.pk).get() == message
    with django_assert_num_queries(1):
        found = Recipient.objects.visible_to(customer.pk).select_related("message")
        assert {r.message.text for r in found} == {"Test"}
