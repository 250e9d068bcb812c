"""messaging.smsc.wire.senders and sender_added: senders.php's answers as seed 004
prints them."""

import json
import xml.etree.ElementTree as ET

import pytest

from accounts.models import SENDER_OPERATORS
from messaging.smsc import wire
from messaging.smsc.wire import SenderRow

# Seed 004's operator columns, in its order.
SEED_OPERATORS = [
    "mega", "mts", "mega_step", "bee_step", "motiv_step", "mts_step", "tele2_step", "tele2",
    "ua_reg", "ua_int",
]  # fmt: skip
SHOP_STATUSES = [2, 1, 0, 3, 4, 5, 6, 2, 0, 1]
SENDERS = [
    SenderRow("Shop", 1, tuple(zip(SENDER_OPERATORS, SHOP_STATUSES, strict=True))),
    SenderRow("A&B", 0, tuple((op, 0) for op in SENDER_OPERATORS)),
]


def test_sender_operators_follow_seed_004_order():
    assert list(SENDER_OPERATORS) == SEED_OPERATORS


def senders(fmt, *, all=0, operators=False, rows=SENDERS):
    return wire.senders(rows, fmt, with_status=all == 1, operators=operators)


def test_senders_all_0():
    assert senders(0) == "name = Shop\nname = A&B"
    assert senders(1) == "Shop\nA&B"
    assert senders(2) == "<list>\n<sender>Shop</sender>\n<sender>A&amp;B</sender>\n</list>"
    assert senders(3) == '[{"sender": "Shop"}, {"sender": "A&B"}]'


def test_senders_all_1():
    assert senders(0, all=1) == "name = Shop, status = 1\nname = A&B, status = 0"
    assert senders(1, all=1) == "Shop,1\nA&B,0"
    assert senders(2, all=1) == (
        '<list>\n<sender status="1">Shop</sender>\n<sender status="0">A&amp;B</sender>\n</list>'
    )
    assert senders(3, all=1) == (
        '[{"sender": "Shop", "status": 1}, {"sender": "A&B", "status": 0}]'
    )


def test_senders_operators_fmt_0():
    shop, _ = senders(0, operators=True).split("\n")
    assert shop == (
        "name = Shop, mega = 2, mts = 1, mega_step = 0, bee_step = 3, motiv_step = 4, "
        "mts_step = 5, tele2_step = 6, tele2 = 2, ua_reg = 0, ua_int = 1"
    )


def test_senders_operators_fmt_1():
    assert senders(1, operators=True) == "Shop,2,1,0,3,4,5,6,2,0,1\nA&B,0,0,0,0,0,0,0,0,0,0"


def test_senders_operators_fmt_2():
    text = senders(2, operators=True)
    shop_line = text.split("\n")[1]
    assert shop_line == (
        '<sender mega="2" mts="1" mega_step="0" bee_step="3" motiv_step="4" mts_step="5" '
        'tele2_step="6" tele2="2" ua_reg="0" ua_int="1">Shop</sender>'
    )
    root = ET.fromstring(text)
    shop, other = root
    assert list(shop.attrib) == SEED_OPERATORS
    assert shop.text == "Shop"
    assert other.text == "A&B"


def test_senders_operators_fmt_3():
    shop, other = json.loads(senders(3, operators=True))
    assert list(shop) == ["sender", *SEED_OPERATORS]
    # Seed 004 quotes the operator statuses.
    assert shop == {"sender": "Shop", **dict(zip(SEED_OPERATORS, "2103456201", strict=True))}
    assert other["sender"] == "A&B"


@pytest.mark.parametrize("name", ["A&B", "<b>", 'say "hi"'])
@pytest.mark.parametrize(("all", "operators"), [(0, False), (1, False), (0, True)])
def test_senders_fmt_2_escapes_the_name(name, all, operators):
    row = SenderRow(name, 1, tuple((op, 1) for op in SENDER_OPERATORS))
    assert ET.fromstring(senders(2, all=all, operators=operators, rows=[row]))[0].text == name


@pytest.mark.parametrize(("all", "operators"), [(0, False), (1, False), (0, True)])
def test_senders_empty_list(all, operators):
    assert senders(0, all=all, operators=operators, rows=[]) == ""
    assert senders(1, all=all, operators=operators, rows=[]) == ""
    assert senders(2, all=all, operators=operators, rows=[]) == "<list>\n</list>"
    assert senders(3, all=all, operators=operators, rows=[]) == "[]"


def test_sender_added():
    assert wire.sender_added(5, 0) == "ID = 5"
    assert wire.sender_added(5, 1) == "5"
    assert wire.sender_added(5, 2) == "<sender>\n<id>5</id>\n</sender>"
    assert wire.sender_added(5, 3) == '{"sender": 5}'
