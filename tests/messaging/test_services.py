"""The send pipeline's own rules, below the API: schedule, both storage paths, refunds."""

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, LedgerReason, Tariff
from messaging import pg, services
from messaging.models import Recipient, Status


def numbers(count: int, start: int = 600_000_000) -> list[str]:
    return [str(start + i) for i in range(count)]


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 1, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), 3, datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2027, 11, 29, tzinfo=UTC), 3, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 5, 15, tzinfo=UTC), 3, datetime(2026, 8, 15, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_the_month_end(moment, months, expected):
    assert services.add_months(moment, months) == expected


def test_schedule_past_is_now_and_three_months_is_the_limit():
    now = timezone.now()
    assert services.schedule(now - timedelta(days=400), now) == now
    assert services.schedule(None, now) == now
    limit = services.add_months(timezone.localtime(now), 3)
    assert services.schedule(limit, now) == limit
    with pytest.raises(services.ScheduleTooFar):
        services.schedule(limit + timedelta(seconds=1), now)


def _send(service, count, text="Test", **options):
    request = services.SendRequest(recipients=numbers(count), text=text, **options)
    return services.submit(service.pk, request)


def _sent_in_one_statement(queries: CaptureQueriesContext) -> bool:
    return any("WITH price AS" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, services.COPY_THRESHOLD + 1])
def test_both_storage_paths_store_the_same_things(make_service, count):
    # On PostgreSQL one recipient takes the one-statement path and 501 the COPY
    # path; on SQLite both take the ORM path. Each must charge and store alike.
    service = make_service(balance=Decimal("100"))
    with CaptureQueriesContext(connection) as queries:
        accepted = _send(service, count, express=(count == 1))
    assert _sent_in_one_statement(queries) is (pg.in_use() and count <= services.COPY_THRESHOLD)
    message = accepted.message
    message.refresh_from_db()
    expected_each = Decimal("0.1050") if count == 1 else Decimal("0.0700")
    assert message.recipient_price == expected_each
    assert message.price == expected_each * count
    rows = list(Recipient.objects.filter(message=message).order_by("id"))
    assert [r.number for r in rows] == ["48" + n for n in numbers(count)]
    assert {r.status for r in rows} == {Status.PENDING}
    assert all(r.send_at == message.send_at for r in rows)
    charge = LedgerEntry.objects.get(reference=f"charge:message:{message.pk}")
    assert charge.kind == LedgerKind.CHARGE
    assert charge.amount == -message.price
    assert (charge.reason, charge.params, charge.note) == (
        LedgerReason.MESSAGE,
        services.charge_params(message),
        "",
    )
    if _sent_in_one_statement(queries):
        # The entry, its reason and params included, is written by the send's one
        # statement: no query of its own.
        ledger_writes = [q for q in queries.captured_queries if "accounts_ledgerentry" in q["sql"]]
        assert len(ledger_writes) == 1 and "WITH price AS" in ledger_writes[0]["sql"]
    service.refresh_from_db()
    assert service.balance == Decimal("100") - message.price == charge.balance_after
    assert ledger.ledger_balance(service.pk) == service.balance


@pytest.mark.django_db
def test_a_free_tariff_writes_no_ledger_entry(make_service):
    service = make_service(balance=Decimal("1"))
    service.tariff.standard_part_price = Decimal("0")
    service.tariff.save()
    message = _send(service, 2).message
    assert message.price == 0
    assert not LedgerEntry.objects.filter(reference=f"charge:message:{message.pk}").exists()


@pytest.mark.django_db
def test_refusal_on_the_one_statement_path_names_the_reason(make_service):
    service = make_service(balance=Decimal("0.10"))
    with pytest.raises(services.InsufficientFunds) as refused:
        _send(service, 2)
    assert refused.value.needed == Decimal("0.1400")
    assert refused.value.available == Decimal("0.10")
    service.block_by_customer()
    with pytest.raises(services.ServiceRefused) as refused:
        _send(service, 1)
    assert refused.value.state == 105


@pytest.mark.django_db
def test_cancel_refunds_each_recipient_once_even_when_some_were_sent(make_service):
    service = make_service(balance=Decimal("10"))
    message = _send(service, 4).message
    first = Recipient.objects.filter(message=message).order_by("id").first()
    Recipient.objects.filter(pk=first.pk).update(status=Status.QUEUED)
    assert services.cancel(service.pk, message.pk) == 3
    assert services.cancel(service.pk, message.pk) == 0
    service.refresh_from_db()
    assert service.balance == Decimal("10") - Decimal("0.07")
    assert ledger.ledger_balance(service.pk) == service.balance


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_large_sends_never_overdraw(make_service):
    # The COPY path locks the service row (SELECT … FOR UPDATE): of six
    # 501-recipient sends at once, exactly the two the balance covers win.
    count = services.COPY_THRESHOLD + 1
    service = make_service(balance=Decimal("0.07") * count * 2)
    results, barrier = [], threading.Barrier(6)

    def send(offset):
        barrier.wait()
        try:
            request = services.SendRequest(recipients=numbers(count, 600_000_000), text="x")
            services.submit(service.pk, request)
            results.append("ok")
        except services.InsufficientFunds:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "ok"] + ["refused"] * 4
    service.refresh_from_db()
    assert service.balance == 0
    assert ledger.ledger_balance(service.pk) == 0
    assert Recipient.objects.filter(message__service=service).count() == 2 * count


@pytest.mark.django_db
def test_express_price_rounds_half_up_to_a_hundredth_of_a_grosz(make_service):
    # 0.0655 × 1.5 = 0.09825: both charge paths (SQL on PostgreSQL, Python on
    # SQLite) must round it the way accounts.pricing.recipient_price does.
    service = make_service(balance=Decimal("1"))
    service.tariff.standard_part_price = Decimal("0.0655")
    service.tariff.save()
    message = _send(service, 1, express=True).message
    message.refresh_from_db()
    assert message.recipient_price == Decimal("0.0983") == message.price
    service.refresh_from_db()
    assert service.balance == Decimal("0.9017")


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("count", "text", "express"),
    [(1, "Test", True), (1, "x" * 200, False), (3, "x" * 400, False)],
    ids=["express", "two parts", "three recipients of three parts"],
)
def test_the_one_statement_send_writes_the_ledger_entry_lock_and_apply_locked_write(
    make_service, monkeypatch, count, text, express
):
    # pg.charge_and_store is the SQL mirror of ledger.lock + ledger.apply_locked
    # (services._charge_and_store): the same send, once through each, into the
    # credit limit at an awkward price, must leave the same ledger entry.
    Tariff.objects.update(standard_part_price=Decimal("0.0655"))

    def send(in_one_statement: bool):
        service = make_service(balance=Decimal("0.05"), credit_limit=Decimal("2"))
        with monkeypatch.context() as patch, CaptureQueriesContext(connection) as queries:
            if not in_one_statement:
                patch.setattr(pg, "in_use", lambda: False)
            message = _send(service, count, text=text, express=express).message
        assert _sent_in_one_statement(queries) is in_one_statement
        message.refresh_from_db()
        entry = LedgerEntry.objects.get(service=service, kind=LedgerKind.CHARGE)
        assert entry.reference == f"charge:message:{message.pk}"
        assert (entry.reason, entry.params, entry.note) == (
            LedgerReason.MESSAGE,
            services.charge_params(message),
            "",
        )
        service.refresh_from_db()
        assert entry.balance_after == service.balance == ledger.ledger_balance(service.pk)
        fields = (entry.kind, entry.amount, entry.balance_after, entry.created_by_id)
        return fields, (message.recipient_price, message.price)

    assert send(in_one_statement=True) == send(in_one_statement=False)
