"""Finding a service's recipients by (message id, number) pairs (``services.find_recipients``,
SMSC's status.php): only what the customer sees, in one query."""

from decimal import Decimal

import pytest
from django.utils import timezone

from messaging import services
from messaging.models import Message, Source
from tests.sending import send

pytestmark = pytest.mark.django_db

A, B = "48600100001", "48600100002"


@pytest.fixture
def customer(make_service):
    return make_service(balance=Decimal("100"))


def test_each_pair_finds_its_recipient_with_its_message(customer):
    first, second = send(customer, (A, B)), send(customer, numbers=(A,))

    found = services.find_recipients(customer.pk, [(first.pk, B), (second.pk, A)])

    assert sorted(found) == sorted([(first.pk, B), (second.pk, A)])
    recipient = found[(first.pk, B)]
    assert (recipient.message_id, recipient.number, recipient.message.text) == (
        first.pk,
        B,
        "Test",
    )


def test_a_pair_of_one_messages_id_and_anothers_number_finds_nothing(customer):
    first, second = send(customer, numbers=(A,)), send(customer, numbers=(B,))

    found = services.find_recipients(customer.pk, [(first.pk, B), (second.pk, B)])

    assert list(found) == [(second.pk, B)]


def test_what_the_customer_does_not_see_is_not_found(customer, make_service):
    other = make_service(balance=Decimal("100"))
    theirs = send(other, (A, B))
    code = send(customer, numbers=(A,), source=Source.CODE)
    gone = send(customer, (A, B))
    Message.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    kept = send(customer, (A, B))
    kept.recipients.filter(number=A).update(deleted_at=timezone.now())
    pairs = [(theirs.pk, A), (code.pk, A), (gone.pk, A), (kept.pk, A), (12345678, A)]

    assert services.find_recipients(customer.pk, pairs) == {}
    assert list(services.find_recipients(customer.pk, [(kept.pk, B)])) == [(kept.pk, B)]


def test_any_number_of_pairs_is_one_query(customer, django_assert_num_queries):
    messages = [send(customer, (A, B)) for _ in range(10)]
    pairs = [(m.pk, n) for m in messages for n in (A, B)]

    with django_assert_num_queries(1):
        found = services.find_recipients(customer.pk, pairs)
        assert {r.message.text for r in found.values()} == {"Test"}
    assert len(found) == 20
    with django_assert_num_queries(0):
        assert services.find_recipients(customer.pk, []) == {}


def test_without_text_the_messages_text_is_left_unread(customer):
    message = send(customer, (A, B))

    found = services.find_recipients(customer.pk, [(message.pk, A)], with_text=False)

    assert found[(message.pk, A)].message.get_deferred_fields() == {"text"}
