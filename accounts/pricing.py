"""What a recipient costs: the one home of the price rule (SPEC §2, seed 001 §4).

``recipient_price`` is the rule. The one-statement send on PostgreSQL
(messaging.pg) cannot call Python halfway through its statement, so it
computes the same price with ``RECIPIENT_PRICE_SQL``, kept here beside its
twin; tests/accounts/test_pricing.py runs that fragment on PostgreSQL for
every route, part count, express flag and awkward price and compares.
"""

from decimal import ROUND_HALF_UP, Decimal

from .models import ZERO, Route, Tariff

EXPRESS_MULTIPLIER = Decimal("1.5")  # seed 001 §4: sms_express costs 1.5 × the tariff


def express_applies(recipient_count: int, route: str) -> bool:
    """Whether an express request is honoured (and charged as express).

    seed 001 §4: express only for one recipient, never on an own gateway.
    """
    return recipient_count == 1 and route != Route.OWN_GATEWAY


def part_price(tariff: Tariff, route: str) -> Decimal:
    """The tariff's price of one SMS part on ``route``."""
    return {
        Route.STANDARD: tariff.standard_part_price,
        Route.PREMIUM: tariff.premium_part_price,
        Route.OWN_GATEWAY: tariff.own_gateway_part_price,
    }[Route(route)]


def multiplier(express: bool) -> Decimal:
    """What the part price is multiplied by: the express surcharge, or nothing."""
    return EXPRESS_MULTIPLIER if express else Decimal(1)


def recipient_price(tariff: Tariff, route: str, parts: int, express: bool = False) -> Decimal:
    """Price of one recipient of a ``parts``-part message, to 1/100 grosz, half up.

    Rounded per recipient, not per message, so that a send charges exactly the
    sum of what its recipients would be refunded one by one: a message costs
    ``recipient_price × recipients``.
    """
    exact = part_price(tariff, route) * parts * multiplier(express)
    return exact.quantize(ZERO, rounding=ROUND_HALF_UP)


# The SQL twin of recipient_price, for a statement that reads the tariff row
# as ``t`` and binds %(route)s, %(parts)s and %(multiplier)s (``multiplier()``).
# round() on numeric rounds half away from zero, which is ROUND_HALF_UP for
# prices, which are never negative.
RECIPIENT_PRICE_SQL = """round(CASE %(route)s
                 WHEN 'standard' THEN t.standard_part_price
                 WHEN 'premium' THEN t.premium_part_price
                 WHEN 'own_gateway' THEN t.own_gateway_part_price END
             * %(parts)s * %(multiplier)s, 4)"""
