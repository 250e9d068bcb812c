"""Money moves one way: ``ledger.lock`` + ``ledger.apply_locked`` in one transaction.

The send pipeline charges and the transitions refund through them; top_up and
adjust wrap them. These tests pin what that way guarantees: no overdraft, even
under concurrency; a reference applied once; the ledger sum equal to the balance.
"""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, Service
from tests.conftest import examples

pytestmark = pytest.mark.django_db


def charge(service_id, amount, **options):
    """Take ``amount`` as the send pipeline does (messaging.services._charge_and_store)."""
    with transaction.atomic():
        service = ledger.lock(service_id)
        return ledger.apply_locked(
            service, -amount, LedgerKind.CHARGE, enforce_limit=True, **options
        )


def refund(service_id, amount, reference):
    """Give ``amount`` back as the transitions do (messaging.transitions._refund)."""
    with transaction.atomic():
        service = ledger.lock(service_id)
        return ledger.apply_locked(
            service, amount, LedgerKind.REFUND, enforce_limit=False, reference=reference
        )


def test_charge_takes_money_and_records_it(make_service):
    service = make_service(balance=Decimal("10.00"))
    entry = charge(service.pk, Decimal("0.07"), note="1 SMS")
    service.refresh_from_db()
    assert service.balance == Decimal("9.93")
    assert entry.kind == LedgerKind.CHARGE
    assert entry.amount == Decimal("-0.07")
    assert entry.balance_after == Decimal("9.93")
    assert entry.note == "1 SMS"


def test_insufficient_funds_takes_nothing(make_service):
    service = make_service(balance=Decimal("1.00"))
    entries = LedgerEntry.objects.count()
    with pytest.raises(ledger.InsufficientFunds) as info:
        charge(service.pk, Decimal("1.01"))
    assert info.value.needed == Decimal("1.01")
    assert info.value.available == Decimal("1.00")
    service.refresh_from_db()
    assert service.balance == Decimal("1.00")
    assert LedgerEntry.objects.count() == entries


def test_credit_limit_lets_the_balance_go_negative_to_the_limit(make_service):
    service = make_service(balance=Decimal("1.00"), credit_limit=Decimal("2.00"))
    charge(service.pk, Decimal("3.00"))
    with pytest.raises(ledger.InsufficientFunds):
        charge(service.pk, Decimal("0.0001"))
    service.refresh_from_db()
    assert service.balance == Decimal("-2.00")


def test_a_reference_is_applied_once(make_service):
    service = make_service(balance=Decimal("5.00"))
    charge(service.pk, Decimal("0.21"))
    refund(service.pk, Decimal("0.07"), reference="refund:recipient:42")
    with pytest.raises(IntegrityError):
        refund(service.pk, Decimal("0.07"), reference="refund:recipient:42")
    service.refresh_from_db()
    assert service.balance == Decimal("4.86")
    assert LedgerEntry.objects.filter(reference="refund:recipient:42").count() == 1
    assert ledger.ledger_balance(service.pk) == service.balance


def test_a_top_up_with_a_known_reference_is_reported_as_a_duplicate(make_service):
    service = make_service()
    first = ledger.top_up(service.pk, Decimal("5"), reference="top_up:invoice:1")
    second = ledger.top_up(service.pk, Decimal("5"), reference="top_up:invoice:1")
    assert not first.duplicate
    assert second.duplicate
    service.refresh_from_db()
    assert service.balance == Decimal("5") == second.balance


def test_refund_needs_a_reference(make_service):
    service = make_service()
    with pytest.raises(ValueError, match="reference"):
        refund(service.pk, Decimal("1"), reference="")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1"), Decimal("0.00001")])
def test_top_up_refuses_non_positive_amounts(make_service, amount):
    service = make_service(balance=Decimal("5"))
    with pytest.raises(ledger.InvalidAmount):
        ledger.top_up(service.pk, amount)


def test_ledger_entries_are_append_only(make_service):
    service = make_service(balance=Decimal("5"))
    entry = LedgerEntry.objects.get(service=service)
    entry.amount = Decimal("500")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("5.0000")


operations = st.lists(
    st.tuples(
        st.sampled_from(["charge", "refund", "top_up", "adjust"]),
        st.decimals(min_value=Decimal("-50"), max_value=Decimal("50"), places=4),
    ),
    max_size=25,
)


class TestBalanceIsTheLedgerSum(HypothesisTestCase):
    @settings(max_examples=examples(40), deadline=None)
    @given(operations)
    def test_after_any_sequence(self, ops):
        from django.contrib.auth import get_user_model

        from accounts.models import Customer

        user = get_user_model().objects.create_user(f"u{Service.objects.count()}-{len(ops)}")
        customer = Customer.objects.create(user=user, name="prop")
        service = Service.objects.create(customer=customer, name="prop", credit_limit=Decimal("3"))
        for i, (op, amount) in enumerate(ops):
            try:
                if op == "charge" and amount > 0:
                    charge(service.pk, amount)
                elif op == "refund" and amount > 0:
                    refund(service.pk, amount, reference=f"r{service.pk}:{i % 3}")
                elif op == "top_up":
                    ledger.top_up(service.pk, amount)
                elif op == "adjust":
                    ledger.adjust(service.pk, amount)
            except (ledger.InsufficientFunds, ledger.InvalidAmount, IntegrityError):
                pass
            service.refresh_from_db()
            assert service.balance == ledger.ledger_balance(service.pk)
            last = service.ledger_entries.order_by("-id").first()
            if last is not None:
                assert last.balance_after == service.balance


def _in_threads(n, target):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_charges_against_a_balance_for_ten_accept_exactly_ten(make_service):
    service = make_service(balance=Decimal("10.00"))
    results, errors = _in_threads(50, lambda: charge(service.pk, Decimal("1.00")))
    assert len(results) == 10
    assert len(errors) == 40
    assert all(isinstance(e, ledger.InsufficientFunds) for e in errors)
    service.refresh_from_db()
    assert service.balance == Decimal("0")
    assert ledger.ledger_balance(service.pk) == Decimal("0")
    assert service.ledger_entries.filter(kind=LedgerKind.CHARGE).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_one_recipient_refund_once(make_service):
    service = make_service(balance=Decimal("1.00"))
    charge(service.pk, Decimal("0.50"))
    results, errors = _in_threads(
        20, lambda: refund(service.pk, Decimal("0.50"), reference="refund:recipient:7")
    )
    # Each waits for the row lock, then finds the reference taken (it is unique).
    assert len(results) == 1
    assert len(errors) == 19
    assert all(isinstance(e, IntegrityError) for e in errors)
    service.refresh_from_db()
    assert service.balance == Decimal("1.00")
    assert ledger.ledger_balance(service.pk) == Decimal("1.00")


def test_funds_are_the_balance_and_credit_limit_as_they_stand(
    make_service, django_assert_num_queries
):
    service = make_service(balance=Decimal("10"), credit_limit=Decimal("5"))
    charge(service.pk, Decimal("12"))

    with django_assert_num_queries(1):
        funds = ledger.funds(service.pk)

    assert funds == (Decimal("-2"), Decimal("5"))
    assert (funds.balance, funds.credit_limit) == (Decimal("-2"), Decimal("5"))
