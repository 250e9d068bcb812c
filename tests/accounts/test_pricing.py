"""The price rule (accounts.pricing) and its SQL twin, which the one-statement send uses."""

from decimal import Decimal

import pytest
from django.db import connection

from accounts import pricing
from accounts.models import Route, Tariff

# Prices that fit decimal_places=4 and land on or next to a half at the fifth
# decimal once multiplied: 0.0003 × 1.5 = 0.00045 and 0.0655 × 1.5 = 0.09825
# round up where banker's rounding would round down.
AWKWARD_PRICES = [
    Decimal("0.0000"),
    Decimal("0.0001"),
    Decimal("0.0003"),
    Decimal("0.0007"),
    Decimal("0.0333"),
    Decimal("0.0650"),
    Decimal("0.0655"),
    Decimal("0.0667"),
    Decimal("0.0700"),
    Decimal("1.2345"),
    Decimal("9999.9999"),
]


def tariff(price: Decimal) -> Tariff:
    return Tariff(
        name=f"t{price}",
        standard_part_price=price,
        premium_part_price=price + Decimal("0.0001"),
        own_gateway_part_price=price + Decimal("0.0002"),
    )


@pytest.mark.parametrize(
    ("route", "parts", "express", "expected"),
    [
        (Route.STANDARD, 1, False, Decimal("0.0655")),
        (Route.STANDARD, 1, True, Decimal("0.0983")),  # 0.09825, half up
        (Route.STANDARD, 3, False, Decimal("0.1965")),
        (Route.PREMIUM, 2, True, Decimal("0.1968")),  # 0.0656 × 2 × 1.5 = 0.19680
        (Route.OWN_GATEWAY, 1, False, Decimal("0.0657")),
    ],
)
def test_recipient_price_is_per_part_times_parts_rounded_half_up(route, parts, express, expected):
    assert pricing.recipient_price(tariff(Decimal("0.0655")), route, parts, express) == expected


def test_half_a_hundredth_of_a_grosz_rounds_up():
    assert pricing.recipient_price(tariff(Decimal("0.0003")), Route.STANDARD, 1, True) == Decimal(
        "0.0005"
    )


@pytest.mark.parametrize(
    ("count", "route", "applies"),
    [
        (1, Route.STANDARD, True),
        (1, Route.PREMIUM, True),
        (1, Route.OWN_GATEWAY, False),
        (2, Route.STANDARD, False),
        (2, Route.PREMIUM, False),
        (500, Route.OWN_GATEWAY, False),
    ],
)
def test_express_applies_to_one_recipient_off_own_gateways(count, route, applies):
    assert pricing.express_applies(count, route) is applies


def _sql_price(tariff_id: int, route: str, parts: int, express: bool) -> Decimal:
    query = f"SELECT {pricing.RECIPIENT_PRICE_SQL} FROM accounts_tariff t WHERE t.id = %(tariff)s"  # noqa: S608 - a constant fragment
    params = {
        "tariff": tariff_id,
        "route": route,
        "parts": parts,
        "multiplier": pricing.multiplier(express),
    }
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("price", AWKWARD_PRICES, ids=str)
def test_the_sql_twin_prices_as_recipient_price(price):
    # The one-statement send prices in SQL with this very fragment; it must
    # agree with Python to the last 1/100 grosz, or the two send paths charge
    # differently for the same message.
    stored = tariff(price)
    stored.save()
    stored.refresh_from_db()
    disagree = []
    for route in Route:
        for parts in range(1, 11):
            for express in (False, True):
                in_python = pricing.recipient_price(stored, route, parts, express)
                in_sql = _sql_price(stored.pk, route.value, parts, express)
                if in_sql != in_python:
                    disagree.append((route.value, parts, express, in_python, in_sql))
    assert disagree == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_route_outside_the_three_has_no_price_in_either_twin():
    # The SQL names each route (no ELSE): a route it does not know prices as
    # NULL, so the one-statement send charges nothing and writes nothing, and
    # the Python path refuses it as well.
    stored = tariff(Decimal("0.0700"))
    stored.save()
    assert _sql_price(stored.pk, "carrier_pigeon", 1, False) is None
    with pytest.raises(ValueError):
        pricing.recipient_price(stored, "carrier_pigeon", 1)
