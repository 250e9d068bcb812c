"""Money through the API: charge on acceptance, refund on cancel exactly once, no overdraft."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import apiauth, ledger
from accounts.models import AllowedAddress, LedgerEntry, LedgerKind, Service
from messaging import services
from messaging.models import Message, Recipient, Status

PRICE = Decimal("0.07")  # standard route, one part
TWO_NUMBERS = "48505666333,48888222444"


def later() -> str:
    """A send time an hour ahead, so recipients stay PENDING and can be cancelled."""
    return str(int((timezone.now() + timedelta(hours=1)).timestamp()))


def scheduled(api, to_list=TWO_NUMBERS) -> int:
    data = api("gateway/", to_list=to_list, message="Spotkanie jutro", send_datetime=later())
    assert data.json()["error"] == "OK"
    return data.json()["message_id"]


def balance(service) -> Decimal:
    service.refresh_from_db()
    return service.balance


def refunds(service):
    return LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND)


# -- charging ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_send_is_charged_once_in_the_ledger(api, api_service):
    message_id = scheduled(api)

    charges = LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.CHARGE)
    assert [entry.amount for entry in charges] == [-2 * PRICE]
    assert charges.get().balance_after == Decimal("100.00") - 2 * PRICE
    assert Message.objects.get(pk=message_id).price == 2 * PRICE
    assert ledger.ledger_balance(api_service.pk) == balance(api_service)


@pytest.mark.django_db
def test_repeated_numbers_are_charged_once(api, api_service):
    data = api("gateway/", to_list="48505666333,505666333,+48 505 666 333", message="Hej").json()

    assert data["recipient_count"] == 1
    assert balance(api_service) == Decimal("100.00") - PRICE


# -- cancelSms -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancel_refunds_the_pending_recipients(api, api_service):
    message_id = scheduled(api)

    data = api("cancelSms", message_id=str(message_id)).json()

    assert data == {"error": "OK", "message_id": message_id, "cancelled_count": 2}
    assert balance(api_service) == Decimal("100.00")


@pytest.mark.django_db
def test_cancel_marks_recipients_cancelled_and_refunded(api):
    message_id = scheduled(api)

    api("cancelSms", message_id=str(message_id))

    rows = Recipient.objects.filter(message_id=message_id)
    assert {(r.status, r.refunded) for r in rows} == {(Status.CANCELLED, True)}


@pytest.mark.django_db
def test_a_second_cancel_refunds_nothing(api, api_service):
    message_id = scheduled(api)
    api("cancelSms", message_id=str(message_id))

    data = api("cancelSms", message_id=str(message_id)).json()

    assert data["error"] == "OK"
    assert data["cancelled_count"] == 0
    assert balance(api_service) == Decimal("100.00")
    assert [entry.amount for entry in refunds(api_service)] == [2 * PRICE]
    assert ledger.ledger_balance(api_service.pk) == balance(api_service)


@pytest.mark.django_db
def test_cancel_leaves_a_queued_recipient_alone(api, api_service):
    message_id = scheduled(api)
    queued = Recipient.objects.filter(message_id=message_id).first()
    Recipient.objects.filter(pk=queued.pk).update(status=Status.QUEUED)

    data = api("cancelSms", message_id=str(message_id)).json()

    assert data["cancelled_count"] == 1
    queued.refresh_from_db()
    assert (queued.status, queued.refunded) == (Status.QUEUED, False)
    assert balance(api_service) == Decimal("100.00") - PRICE
    assert [entry.amount for entry in refunds(api_service)] == [PRICE]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.DELIVERED, Status.REJECTED, Status.EXPIRED])
def test_cancel_leaves_a_final_recipient_alone(api, api_service, status):
    message_id = scheduled(api, to_list="48505666333")
    Recipient.objects.filter(message_id=message_id).update(status=status)

    assert api("cancelSms", message_id=str(message_id)).json()["cancelled_count"] == 0
    assert Recipient.objects.get(message_id=message_id).status == status
    assert not refunds(api_service).exists()


@pytest.mark.django_db
def test_cancel_takes_an_on_hold_recipient(api, api_service):
    message_id = scheduled(api, to_list="48505666333")
    Recipient.objects.filter(message_id=message_id).update(status=Status.ON_HOLD)

    assert api("cancelSms", message_id=str(message_id)).json()["cancelled_count"] == 1
    assert balance(api_service) == Decimal("100.00")


@pytest.mark.django_db
def test_cancel_refunds_the_express_price(api, api_service):
    data = api(
        "gateway/", to_list="48888111000", message="Pilne", sms_express="1", send_datetime=later()
    ).json()

    api("cancelSms", message_id=str(data["message_id"]))

    assert [entry.amount for entry in refunds(api_service)] == [Decimal("0.105")]
    assert balance(api_service) == Decimal("100.00")


@pytest.mark.django_db
def test_a_large_list_is_stored_charged_and_refunded_in_full(api, api_service):
    # Over 500 numbers go in through COPY on PostgreSQL (messaging.services).
    numbers = [f"48500{n:06d}" for n in range(600)]

    data = api("gateway/", to_list=",".join(numbers), message="Hej", send_datetime=later()).json()

    assert data["recipient_count"] == 600
    rows = Recipient.objects.filter(message_id=data["message_id"])
    assert sorted(rows.values_list("number", flat=True)) == numbers
    assert set(rows.values_list("status", "refunded")) == {(Status.PENDING, False)}
    assert balance(api_service) == Decimal("100.00") - 600 * PRICE
    assert api("cancelSms", message_id=str(data["message_id"])).json()["cancelled_count"] == 600
    assert balance(api_service) == Decimal("100.00")


# -- concurrency (PostgreSQL: real row locks) ----------------------------------------------


def run_at_once(count, work):
    """Run ``work(i)`` in ``count`` threads released together; returns the results."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            connection.ensure_connection()  # connect first, so the calls really overlap
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the test inspects every outcome
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


SENDS = 5


def racer(make_service, recipients: int) -> Service:
    """Funds for exactly SENDS one-part sends to ``recipients`` numbers, a third of one of
    them as balance and the rest as credit limit, so the limit is part of the sum."""
    cost = recipients * PRICE
    credit = (cost / 3).quantize(Decimal("0.0001"))
    service = make_service(username=f"racer{recipients}", balance=SENDS * cost - credit)
    Service.objects.filter(pk=service.pk).update(credit_limit=credit)
    service.refresh_from_db()
    return service


@pytest.fixture
def exact_service(make_service):
    return racer(make_service, 1)


# One number takes PostgreSQL's one-statement send; over 500 take the locked path with COPY.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("recipients", [1, services.COPY_THRESHOLD + 1])
def test_concurrent_submits_never_overdraw(make_service, recipients):
    service = racer(make_service, recipients)
    numbers = [f"48500{n:06d}" for n in range(recipients)]

    def send(i):
        request = services.SendRequest(recipients=numbers, text=f"Wyścig {i}")
        return services.submit(service.pk, request)

    results = run_at_once(4 * SENDS, send)

    accepted = [r for r in results if isinstance(r, services.Accepted)]
    refused = [r for r in results if isinstance(r, services.InsufficientFunds)]
    assert (len(accepted), len(refused)) == (SENDS, 3 * SENDS), [repr(r)[:80] for r in results]
    service.refresh_from_db()
    assert service.balance == -service.credit_limit
    assert ledger.ledger_balance(service.pk) == service.balance
    assert Message.objects.filter(service=service).count() == SENDS
    assert Recipient.objects.filter(message__service=service).count() == SENDS * recipients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_sends_never_overdraw(exact_service):
    password = apiauth.regenerate_api_password(exact_service)
    AllowedAddress.objects.create(service=exact_service, network="127.0.0.1")
    username = exact_service.api_username

    def send(i):
        response = Client().post(
            "/sms_api/gateway/",
            {"username": username, "password": password, "to_list": "888222444", "message": "Hej"},
        )
        return response.json()["error"]

    results = run_at_once(3 * SENDS, send)

    assert sorted(results) == ["INSUFFICIENT_FUNDS"] * (2 * SENDS) + ["OK"] * SENDS
    exact_service.refresh_from_db()
    assert exact_service.balance >= -exact_service.credit_limit
    assert ledger.ledger_balance(exact_service.pk) == exact_service.balance


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancels_refund_once(make_service):
    service = make_service(username="canceller", balance=Decimal("10.00"))
    request = services.SendRequest(
        recipients=TWO_NUMBERS.split(","),
        text="Spotkanie jutro",
        send_at=timezone.now() + timedelta(hours=1),
    )
    message = services.submit(service.pk, request).message

    results = run_at_once(8, lambda i: services.cancel(service.pk, message.pk))

    assert sorted(results) == [0] * 7 + [2]
    service.refresh_from_db()
    assert service.balance == Decimal("10.00")
    assert refunds(service).count() == 1
    assert ledger.ledger_balance(service.pk) == service.balance
