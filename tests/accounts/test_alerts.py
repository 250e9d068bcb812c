"""The low-balance alert (accounts.alerts): one mail when a charge takes the balance
below the customer's threshold, none again until the balance has been back at or above it."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from accounts import alerts, ledger
from accounts.models import Service
from mailbridge.models import OutboundKind, OutboundMail
from messaging import services

pytestmark = pytest.mark.django_db

NUMBER = "48500000001"


def alerted(make_service, *, balance="1.00", threshold="0.90", email="alice@example.com"):
    service = make_service(username="alice", balance=Decimal(balance))
    service.customer.user.email = email
    service.customer.user.save()
    Service.objects.filter(pk=service.pk).update(
        low_balance_threshold=None if threshold is None else Decimal(threshold)
    )
    return service


def send(service, capture):
    """One single-recipient SMS (0.07 PLN on the standard route), its commit's callbacks run:
    on PostgreSQL the one-statement send, on SQLite the locked one."""
    with capture(execute=True):
        services.submit(service.pk, services.SendRequest(recipients=[NUMBER], text="x"))


def mails():
    return list(OutboundMail.objects.filter(kind=OutboundKind.NOTICE).order_by("pk"))


def flag(service) -> bool:
    return Service.objects.values_list("low_balance_alerted", flat=True).get(pk=service.pk)


def test_crossing_the_threshold_sends_one_mail(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service)
    send(service, django_capture_on_commit_callbacks)  # 0.93: still above
    assert mails() == [] and not flag(service)
    send(service, django_capture_on_commit_callbacks)  # 0.86: below
    [mail] = mails()
    assert mail.to == "alice@example.com" and mail.service_id == service.pk
    assert "0.86 PLN" in mail.body and "0.90 PLN" in mail.body
    assert flag(service)


def test_a_second_charge_below_sends_nothing(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service, balance="0.95")
    send(service, django_capture_on_commit_callbacks)
    send(service, django_capture_on_commit_callbacks)
    send(service, django_capture_on_commit_callbacks)
    assert len(mails()) == 1


def test_a_top_up_above_rearms_and_the_next_dip_alerts_again(
    make_service, django_capture_on_commit_callbacks
):
    service = alerted(make_service, balance="0.95")
    send(service, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ledger.top_up(service.pk, Decimal("0.02"))  # 0.90: at the threshold, no longer below
    assert not flag(service) and len(mails()) == 1
    send(service, django_capture_on_commit_callbacks)
    assert len(mails()) == 2 and flag(service)


def test_a_top_up_that_stays_below_keeps_the_alert_quiet(
    make_service, django_capture_on_commit_callbacks
):
    service = alerted(make_service, balance="0.95")
    send(service, django_capture_on_commit_callbacks)
    ledger.top_up(service.pk, Decimal("0.01"))
    send(service, django_capture_on_commit_callbacks)
    assert flag(service) and len(mails()) == 1


def test_a_staff_correction_up_rearms(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service, balance="0.95")
    send(service, django_capture_on_commit_callbacks)
    ledger.adjust(service.pk, "1.00")
    assert not flag(service)


def test_no_threshold_never_alerts(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service, balance="0.10", threshold=None)
    send(service, django_capture_on_commit_callbacks)
    assert mails() == [] and not flag(service)


def test_a_customer_without_an_address_gets_no_mail_but_the_flag_is_kept(
    make_service, django_capture_on_commit_callbacks
):
    service = alerted(make_service, balance="0.95", email="")
    send(service, django_capture_on_commit_callbacks)
    assert mails() == [] and flag(service)


def test_the_mail_is_in_the_customers_language(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service, balance="1234.00", threshold="1234.00")
    service.customer.language = "pl"
    service.customer.save()
    send(service, django_capture_on_commit_callbacks)
    [mail] = mails()
    assert mail.subject.startswith("Niskie saldo usługi")
    assert "1\xa0233,93 zł" in mail.body and "1\xa0234,00 zł" in mail.body
    assert "PLN" not in mail.body


def test_the_rule():
    assert alerts.crossed(Decimal("0.5"), Decimal("1"), False)
    assert not alerts.crossed(Decimal("0.5"), Decimal("1"), True)
    assert not alerts.crossed(Decimal("1"), Decimal("1"), False)
    assert not alerts.crossed(Decimal("-5"), None, False)
    down, up = Decimal("-0.07"), Decimal("0.07")
    assert alerts.flag_after(Decimal("0.5"), Decimal("1"), False, down)
    assert alerts.flag_after(Decimal("0.5"), Decimal("1"), True, up)
    assert not alerts.flag_after(Decimal("0.5"), Decimal("1"), False, up)
    assert not alerts.flag_after(Decimal("1"), Decimal("1"), True, up)
    assert not alerts.flag_after(Decimal("0.5"), None, True, down)


def test_claim_is_won_once(make_service, django_capture_on_commit_callbacks):
    service = alerted(make_service)
    with django_capture_on_commit_callbacks() as callbacks:
        assert alerts.claim(service.pk)
        assert not alerts.claim(service.pk)
    assert len(callbacks) == 1


# -- concurrency (PostgreSQL: real row locks) ----------------------------------------------

RACERS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_crossing_the_threshold_queue_one_mail(make_service):
    """Every send of the race leaves the balance below the threshold, each from its own
    connection through the one-statement send; the alert is claimed once."""
    service = alerted(make_service, balance="1.00", threshold="0.99")
    barrier = threading.Barrier(RACERS)
    errors = []

    def target(i):
        try:
            connection.ensure_connection()  # connect first, so the sends really overlap
            barrier.wait()
            request = services.SendRequest(recipients=[NUMBER], text=f"Wyścig {i}")
            services.submit(service.pk, request)
        except Exception as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    service.refresh_from_db()
    assert service.balance == Decimal("1.00") - RACERS * Decimal("0.07")
    assert service.low_balance_alerted
    assert len(mails()) == 1
