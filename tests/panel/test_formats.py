"""Money and dates on the panel's pages, its form errors and its live counter: the
Polish way in Polish (1 234,56 zł, 07.12.2026 05:37), the English way in English."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client

from accounts import ledger
from accounts.models import LedgerEntry

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
WINTER = datetime(2026, 12, 7, 4, 37, 30, tzinfo=UTC)  # 05:37:30 in Warsaw


def reader(service, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    return client


@pytest.fixture
def rich(service):
    applied = ledger.top_up(service.pk, Decimal("1234.5"), note="transfer")
    LedgerEntry.objects.filter(pk=applied.entry.pk).update(created_at=WINTER)
    service.refresh_from_db()
    return service


@pytest.mark.parametrize(
    ("language", "balance", "amount", "time"),
    [
        ("pl", f"1{NBSP}244,50 zł", f"1{NBSP}234,5000 zł", "07.12.2026 05:37"),
        ("en", "1,244.50 PLN", "1,234.5000 PLN", "7 Dec 2026, 05:37"),
    ],
)
def test_the_balance_history_and_dashboard(rich, language, balance, amount, time):
    client = reader(rich, language)
    history = client.get(f"/services/{rich.pk}/balance/").content.decode()
    assert amount in history and time in history
    assert "2026-12-07" not in history
    assert balance in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("language", "price", "after"),
    [("pl", "0,0700 zł", "9,93 zł"), ("en", "0.0700 PLN", "9.93 PLN")],
)
def test_the_live_counter_gets_money_written_for_the_page(service, language, price, after):
    counted = (
        reader(service, language)
        .post(f"/services/{service.pk}/send/estimate/", {"recipients": "501234567", "text": "Hi"})
        .json()
    )
    assert (counted["price_shown"], counted["balance_after_shown"]) == (price, after)
    assert counted["price"] == "0.0700"  # the figure itself, for scripts, unchanged


def test_the_counter_without_javascript_and_a_refusal_in_polish(make_service):
    poor = make_service(username="poor", balance=Decimal("0.05"))
    response = reader(poor, "pl").post(
        f"/services/{poor.pk}/send/", {"recipients": "501234567", "text": "Hi"}
    )
    page = response.content.decode()
    assert "cena 0,0700 zł, saldo po wysłaniu -0,02 zł" in page
    assert "kosztuje 0,07 zł, a usługa ma dostępne 0,05 zł" in page


def test_the_service_header_shows_the_balance_the_same_way(rich):
    page = reader(rich, "pl").get(f"/services/{rich.pk}/messages/").content.decode()
    assert f"<strong>1{NBSP}244,50 zł</strong>" in page


def test_the_usage_charts_name_days_and_money_for_the_reader(rich, simulator):
    from django.utils import timezone

    from gateways import dispatch
    from messaging import services

    services.submit(rich.pk, services.SendRequest(recipients=["48501234567"], text="x"))
    dispatch.dispatch_batch()
    page = reader(rich, "pl").get(f"/services/{rich.pk}/").content.decode()
    today = timezone.localdate()
    assert f"<title>{today:%d.%m.%Y}: wydano 0,07</title>" in page
    assert f'class="tick">{today:%d.%m}</text>' in page
    assert f"<td>{today:%d.%m.%Y}</td>" in page and '<td class="num">0,07 zł</td>' in page
