"""messaging.smsc.wire.sent and balance: send.php's and balance.php's answers as
SMSC's client libraries read them."""

from messaging.smsc import wire
from messaging.smsc.wire import Sent

SENT = Sent(id=12345, count=2, cost="4.48", balance="1231.21")


def test_sent_cost_0():
    assert wire.sent(SENT, 0, 0) == "OK - 2 SMS, ID - 12345"
    assert wire.sent(SENT, 1, 0) == "12345,2"
    assert wire.sent(SENT, 2, 0) == "<result>\n<id>12345</id>\n<cnt>2</cnt>\n</result>"
    assert wire.sent(SENT, 3, 0) == '{"id": 12345, "cnt": 2}'


def test_sent_cost_2_adds_the_cost():
    assert wire.sent(SENT, 0, 2) == "OK - 2 SMS, ID - 12345, COST - 4.48"
    assert wire.sent(SENT, 1, 2) == "12345,2,4.48"
    assert wire.sent(SENT, 2, 2) == (
        "<result>\n<id>12345</id>\n<cnt>2</cnt>\n<cost>4.48</cost>\n</result>"
    )
    assert wire.sent(SENT, 3, 2) == '{"id": 12345, "cnt": 2, "cost": "4.48"}'


def test_sent_cost_3_adds_cost_and_balance():
    assert wire.sent(SENT, 0, 3) == "OK - 2 SMS, ID - 12345, COST - 4.48, BALANCE - 1231.21"
    assert wire.sent(SENT, 1, 3) == "12345,2,4.48,1231.21"
    assert wire.sent(SENT, 2, 3) == (
        "<result>\n<id>12345</id>\n<cnt>2</cnt>\n<cost>4.48</cost>\n"
        "<balance>1231.21</balance>\n</result>"
    )
    assert wire.sent(SENT, 3, 3) == (
        '{"id": 12345, "cnt": 2, "cost": "4.48", "balance": "1231.21"}'
    )


def test_sent_cost_1_gives_price_and_count_only():
    quote_only = Sent(id=0, count=2, cost="4.48")
    assert wire.sent(quote_only, 0, 1) == "4.48 (2 SMS)"
    assert wire.sent(quote_only, 1, 1) == "4.48,2"
    assert wire.sent(quote_only, 2, 1) == "<result>\n<cost>4.48</cost>\n<cnt>2</cnt>\n</result>"
    assert wire.sent(quote_only, 3, 1) == '{"cost": "4.48", "cnt": 2}'


def test_balance():
    # fmt 0 and 1 the balance alone: SMSC's clients read a second field as an error.
    assert wire.balance("1231.21", "0.00", 0) == "1231.21"
    assert wire.balance("1231.21", "0.00", 1) == "1231.21"
    assert wire.balance("1231.21", "50.00", 2) == (
        "<balance>\n<balance>1231.21</balance>\n<credit>50.00</credit>\n"
        "<currency>PLN</currency>\n</balance>"
    )
    assert wire.balance("1231.21", "50.00", 3) == (
        '{"balance": "1231.21", "credit": "50.00", "currency": "PLN"}'
    )
