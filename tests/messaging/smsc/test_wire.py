"""messaging.smsc.wire: SMSC's answers character for character as seeds 003 (status.php)
and 004 (senders.php) print them, and requests read as SMSC clients send them."""

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import SENDER_OPERATORS
from messaging.smsc import wire
from messaging.smsc.wire import SenderRow, Sent, StatusRow, WireError

WARSAW = ZoneInfo("Europe/Warsaw")
CODECS = {"windows-1251": "cp1251", "koi8-r": "koi8_r", "utf-8": "utf-8"}
CYRILLIC = "Привет, мир"
POLISH = "Zażółć gęślą jaźń"
POLISH_AS_QUESTION_MARKS = "Za???? g??l? ja??"  # no Polish letter is in cp1251 or koi8-r


def xml_items(element) -> list[tuple[str, str | None]]:
    return [(child.tag, child.text) for child in element]


# -- errors (seed 003 "Server response and error codes", seed 004 the same) ----------------

AUTHORISE = WireError(2, "authorise error")


def test_error_fmt_0():
    assert wire.error(AUTHORISE, 0) == "ERROR = 2 (authorise error)"


def test_error_fmt_1():
    assert wire.error(AUTHORISE, 1) == "0,-2"


def test_error_fmt_2():
    text = wire.error(AUTHORISE, 2)
    assert text == "<result>\n<error>authorise error</error>\n<error_code>2</error_code>\n</result>"
    root = ET.fromstring(text)
    assert root.tag == "result"
    assert xml_items(root) == [("error", "authorise error"), ("error_code", "2")]


def test_error_fmt_3():
    text = wire.error(AUTHORISE, 3)
    assert text == '{"error": "authorise error", "error_code": 2}'
    assert list(json.loads(text).items()) == [("error", "authorise error"), ("error_code", 2)]


# send.php repeats the client's id in its error answer.
INVALID_NUMBER = WireError(7, "invalid number", id="1000")


def test_send_error_with_client_id_fmt_0():
    assert wire.error(INVALID_NUMBER, 0) == "ERROR = 7 (invalid number), ID - 1000"


def test_send_error_with_client_id_fmt_1():
    assert wire.error(INVALID_NUMBER, 1) == "1000,-7"


def test_send_error_with_client_id_fmt_2_and_3():
    root = ET.fromstring(wire.error(INVALID_NUMBER, 2))
    assert xml_items(root) == [("error", "invalid number"), ("error_code", "7"), ("id", "1000")]
    assert json.loads(wire.error(INVALID_NUMBER, 3)) == {
        "error": "invalid number",
        "error_code": 7,
        "id": 1000,
    }


@pytest.mark.parametrize("client_id", ["²", "order-7", "١٢"])  # "²".isdigit() is True
def test_send_error_keeps_a_client_id_that_is_not_an_ascii_number_as_text(client_id):
    answer = json.loads(wire.error(WireError(1, "parameters error", id=client_id), 3))
    assert answer["id"] == client_id


# -- status.php (seed 003) ----------------------------------------------------------------

SENT_AT = datetime(2026, 3, 5, 9, 7, 2, tzinfo=WARSAW)
CHANGED_AT = datetime(2026, 3, 5, 9, 8, 30, tzinfo=WARSAW)
SENT_STAMP = 1772698022  # 2026-03-05 08:07:02 UTC
CHANGED_STAMP = 1772698110  # 2026-03-05 08:08:30 UTC

ROW = StatusRow(
    id="12345",
    phone="48600100123",
    status=1,
    last_changed=CHANGED_AT,
    err=0,
    flag=0,
    sent=SENT_AT,
    cost="0.07",
    sender="Shop",
    status_name="Delivered",
    message="Hello",
    comment="order 7",
    type=0,
    sms_cnt=1,
    mccmnc="26001",
    country="Poland",
    operator="Plus",
    operator_orig="Play",
    region="Mazowieckie",
)
MISSING = StatusRow(id="999", phone="48600100999", found=False, status=-3)

# The field names of seed 003, in its order, for fmt 2 and 3.
SEED_FIELDS = {
    0: ["status", "last_date", "last_timestamp", "flag", "err"],
    1: [
        "status", "last_date", "last_timestamp", "flag", "err",
        "send_date", "send_timestamp", "phone", "cost", "sender_id", "status_name",
        "message", "comment", "type", "sms_cnt",
    ],
    2: [
        "status", "last_date", "last_timestamp", "flag", "err",
        "send_date", "send_timestamp", "phone", "cost", "sender_id", "status_name",
        "message", "comment", "mccmnc", "country", "operator", "operator_orig", "region",
        "type", "sms_cnt",
    ],
}  # fmt: skip
# fmt 0's names in seed 003's order ("operator_orig=" has no space before "=" there).
SEED_FMT0_NAMES = {
    0: ["Status", "check_time", "err"],
    1: [
        "Status", "check_time", "err", "send_date", "phone", "cost", "sender_id",
        "status_name", "message", "comment", "type",
    ],
    2: [
        "Status", "check_time", "err", "send_date", "phone", "mccmnc", "country", "operator",
        "operator_orig", "region", "cost", "sender_id", "status_name", "message", "comment",
        "type",
    ],
}  # fmt: skip

ROW_JSON = {
    "status": 1,
    "last_date": "05.03.2026 09:08:30",
    "last_timestamp": CHANGED_STAMP,
    "flag": 0,
    "err": 0,
    "send_date": "05.03.2026 09:07:02",
    "send_timestamp": SENT_STAMP,
    "phone": "48600100123",
    "cost": "0.07",
    "sender_id": "Shop",
    "status_name": "Delivered",
    "message": "Hello",
    "comment": "order 7",
    "mccmnc": "26001",
    "country": "Poland",
    "operator": "Plus",
    "operator_orig": "Play",
    "region": "Mazowieckie",
    "type": 0,
    "sms_cnt": 1,
}


def fmt0_names(line: str) -> list[str]:
    return re.findall(r"(\w+) ?= ", line)


def test_status_fmt_0_all_0():
    assert wire.status([ROW], 0, 0, many=False) == (
        "Status = 1, check_time = 05.03.2026 09:08:30, err = 0"
    )


def test_status_fmt_0_all_1():
    assert wire.status([ROW], 0, 1, many=False) == (
        "Status = 1, check_time = 05.03.2026 09:08:30, err = 0, send_date = 05.03.2026 09:07:02, "
        "phone = 48600100123, cost = 0.07, sender_id = Shop, status_name = Delivered, "
        "message = Hello, comment = order 7, type = 0"
    )


def test_status_fmt_0_all_2():
    assert wire.status([ROW], 0, 2, many=False) == (
        "Status = 1, check_time = 05.03.2026 09:08:30, err = 0, send_date = 05.03.2026 09:07:02, "
        "phone = 48600100123, mccmnc = 26001, country = Poland, operator = Plus, "
        "operator_orig= Play, region = Mazowieckie, cost = 0.07, sender_id = Shop, "
        "status_name = Delivered, message = Hello, comment = order 7, type = 0"
    )


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_fmt_0_names_in_seed_order(detail):
    assert fmt0_names(wire.status([ROW], 0, detail, many=False)) == SEED_FMT0_NAMES[detail]


def test_status_fmt_1_all_0():
    assert wire.status([ROW], 1, 0, many=False) == f"1,{CHANGED_STAMP},0"


def test_status_fmt_1_all_1_puts_the_text_last_without_comment_and_type():
    assert wire.status([ROW], 1, 1, many=False) == (
        f"1,{CHANGED_STAMP},0,{SENT_STAMP},48600100123,0.07,Shop,Delivered,Hello"
    )


def test_status_fmt_1_all_2_puts_the_text_last():
    assert wire.status([ROW], 1, 2, many=False) == (
        f"1,{CHANGED_STAMP},0,{SENT_STAMP},48600100123,Poland,Plus,Mazowieckie,"
        "0.07,Shop,Delivered,Hello"
    )


def official_client_status(answer: str, all: int) -> list[str]:
    """What SMSC's Python client (smsc_api.py, get_status) makes of a fmt 1 answer."""
    m = answer.split(",")
    if all == 1 and len(m) > 9 and (len(m) < 14 or m[14] != "HLR"):
        m = (",".join(m)).split(",", 8)
    return m


@pytest.mark.parametrize("text", ["Hello", "Hi, see you at 5, ok?", "a,b,c,d,e,f,g,h,i,j,k"])
def test_status_fmt_1_all_1_text_with_commas_survives_the_official_client(text):
    answer = wire.status([replace(ROW, message=text)], 1, 1, many=False)
    fields = official_client_status(answer, 1)
    assert fields == [
        "1", str(CHANGED_STAMP), "0", str(SENT_STAMP), "48600100123", "0.07", "Shop",
        "Delivered", text,
    ]  # fmt: skip


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_fmt_2_tags_in_seed_order(detail):
    root = ET.fromstring(wire.status([ROW], 2, detail, many=False))
    assert root.tag == "sms"
    fields = SEED_FIELDS[detail]
    assert xml_items(root) == [(name, str(ROW_JSON[name])) for name in fields]


def test_status_fmt_2_all_0_exactly():
    assert wire.status([ROW], 2, 0, many=False) == (
        "<sms>\n<status>1</status>\n<last_date>05.03.2026 09:08:30</last_date>\n"
        f"<last_timestamp>{CHANGED_STAMP}</last_timestamp>\n<flag>0</flag>\n<err>0</err>\n</sms>"
    )


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_fmt_3_keys_in_seed_order(detail):
    answer = json.loads(wire.status([ROW], 3, detail, many=False))
    assert list(answer) == SEED_FIELDS[detail]
    # Seed 003 quotes the texts and dates, not the numbers.
    assert answer == {name: ROW_JSON[name] for name in SEED_FIELDS[detail]}


def test_status_fmt_3_all_0_exactly():
    assert wire.status([ROW], 3, 0, many=False) == (
        '{"status": 1, "last_date": "05.03.2026 09:08:30", '
        f'"last_timestamp": {CHANGED_STAMP}, "flag": 0, "err": 0}}'
    )


def test_status_dates_pad_day_month_and_hour():
    early = replace(ROW, last_changed=datetime(2027, 1, 2, 3, 4, 5, tzinfo=WARSAW))
    assert json.loads(wire.status([early], 3, 0, many=False))["last_date"] == "02.01.2027 03:04:05"
    # 03:04:05 CET is 02:04:05 UTC.
    assert wire.status([early], 1, 0, many=False) == "1,1798855445,0"


def test_status_timestamps_are_unix_seconds_whatever_the_zone():
    # The process runs in Europe/Warsaw (Django's TIME_ZONE): a zone other than that.
    in_new_york = CHANGED_AT.astimezone(ZoneInfo("America/New_York"))
    assert wire.status([replace(ROW, last_changed=in_new_york)], 1, 0, False) == (
        f"1,{CHANGED_STAMP},0"
    )


# Not found (status -3): the status alone in fmt 0, 2, 3; fmt 1 a regular all=0 line.


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_not_found(detail):
    assert wire.status([MISSING], 0, detail, many=False) == "Status = -3"
    assert wire.status([MISSING], 1, detail, many=False) == "-3,0,0"
    assert wire.status([MISSING], 2, detail, many=False) == "<sms>\n<status>-3</status>\n</sms>"
    assert wire.status([MISSING], 3, detail, many=False) == '{"status": -3}'


# Many: each status names its id, and at all=0 its phone too (seed 003, the list).


def test_status_many_fmt_0_all_0_adds_id_and_phone_one_line_each():
    assert wire.status([ROW, MISSING], 0, 0, many=True) == (
        "Status = 1, check_time = 05.03.2026 09:08:30, err = 0, id = 12345, phone = 48600100123\n"
        "Status = -3, id = 999, phone = 48600100999"
    )


def test_status_many_fmt_0_all_1_adds_the_id():
    found, missing = wire.status([ROW, MISSING], 0, 1, many=True).split("\n")
    assert found == wire.status([ROW], 0, 1, many=False) + ", id = 12345"
    # A row not found has no phone field of its own: it is named, as in fmt 1–3.
    assert missing == "Status = -3, id = 999, phone = 48600100999"


def test_status_many_fmt_1_all_0_adds_id_and_phone():
    assert wire.status([ROW, MISSING], 1, 0, many=True) == (
        f"1,{CHANGED_STAMP},0,12345,48600100123\n-3,0,0,999,48600100999"
    )


def test_status_many_fmt_1_all_1_puts_the_id_before_the_text():
    assert wire.status([ROW, MISSING], 1, 1, many=True) == (
        f"1,{CHANGED_STAMP},0,{SENT_STAMP},48600100123,0.07,Shop,Delivered,12345,Hello\n"
        "-3,0,0,999,48600100999"
    )


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_many_fmt_2_is_a_list(detail):
    text = wire.status([ROW, MISSING], 2, detail, many=True)
    assert text.startswith("<list>\n<sms>\n") and text.endswith("</sms>\n</list>")
    root = ET.fromstring(text)
    assert root.tag == "list"
    assert [child.tag for child in root] == ["sms", "sms"]
    found, missing = root
    extra = ["id", "phone"] if detail == 0 else ["id"]
    assert [tag for tag, _ in xml_items(found)] == SEED_FIELDS[detail] + extra
    assert found.findtext("id") == "12345"
    assert found.findtext("phone") == "48600100123"
    assert xml_items(missing) == [("status", "-3"), ("id", "999"), ("phone", "48600100999")]


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_many_fmt_3_is_an_array(detail):
    found, missing = json.loads(wire.status([ROW, MISSING], 3, detail, many=True))
    extra = ["id", "phone"] if detail == 0 else ["id"]
    assert list(found) == SEED_FIELDS[detail] + extra
    assert (found["id"], found["phone"]) == (12345, "48600100123")
    assert missing == {"status": -3, "id": 999, "phone": "48600100999"}


def test_status_many_with_one_pair_keeps_the_list_form():
    assert isinstance(json.loads(wire.status([ROW], 3, 0, many=True)), list)
    assert ET.fromstring(wire.status([ROW], 2, 0, many=True)).tag == "list"
    assert wire.status([ROW], 1, 0, many=True) == f"1,{CHANGED_STAMP},0,12345,48600100123"


@pytest.mark.parametrize("message_id", ["²", "abc"])
def test_status_many_keeps_an_id_that_is_not_an_ascii_number_as_text(message_id):
    row = replace(MISSING, id=message_id)
    assert json.loads(wire.status([row], 3, 0, many=True))[0]["id"] == message_id
    assert ET.fromstring(wire.status([row], 2, 0, many=True)).findtext("sms/id") == message_id


# Properties: any text in message, sender and comment keeps fmt 3 JSON and fmt 2 XML.


def is_xml_char(ch: str) -> bool:
    """XML 1.0's Char production: no C0 controls but tab and newlines, no U+FFFE/FFFF."""
    code = ord(ch)
    return (
        ch in "\t\n\r"
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


xml_text = st.text(st.characters().filter(is_xml_char))


@given(message=st.text(), sender=st.text(), comment=st.text(), detail=st.sampled_from([1, 2]))
def test_status_fmt_3_is_json_with_seed_keys_for_any_text(message, sender, comment, detail):
    row = replace(ROW, message=message, sender=sender, comment=comment)
    answer = json.loads(wire.status([row], 3, detail, many=False))
    assert list(answer) == SEED_FIELDS[detail]
    assert (answer["message"], answer["sender_id"], answer["comment"]) == (
        message,
        sender,
        comment,
    )


@given(message=xml_text, sender=xml_text, comment=xml_text, detail=st.sampled_from([1, 2]))
def test_status_fmt_2_is_xml_with_seed_tags_for_any_text(message, sender, comment, detail):
    row = replace(ROW, message=message, sender=sender, comment=comment)
    root = ET.fromstring(wire.status([row], 2, detail, many=False))
    assert [child.tag for child in root] == SEED_FIELDS[detail]

    def read(tag):
        return root.findtext(tag) or ""

    def as_parsed(text):  # an XML parser reads a bare CR as a newline
        return text.replace("\r\n", "\n").replace("\r", "\n")

    assert (read("message"), read("sender_id"), read("comment")) == (
        as_parsed(message),
        as_parsed(sender),
        as_parsed(comment),
    )


# -- senders.php (seed 004) ---------------------------------------------------------------

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


def test_ok():
    assert wire.ok(0) == "OK"
    assert wire.ok(1) == "OK"
    assert wire.ok(2) == "<result>OK</result>"
    assert wire.ok(3) == '{"result": "OK"}'


# -- send.php and balance.php ---------------------------------------------------------------

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


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0.07", "0.07"),
        ("0.065", "0.065"),
        ("0.0975", "0.0975"),
        ("100", "100.00"),
        ("100.5", "100.50"),
        ("0", "0.00"),
        ("1231.2100", "1231.21"),
        ("-5", "-5.00"),
        ("-0.065", "-0.065"),
        ("-12.3450", "-12.345"),
    ],
)
def test_money(amount, text):
    assert wire.money(Decimal(amount)) == text


# -- reading a request --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "codec"),
    [(None, "cp1251"), ("windows-1251", "cp1251"), ("koi8-r", "koi8_r"), ("utf-8", "utf-8")],
)
def test_read_fields_decodes_mes_in_the_named_charset(charset, codec):
    query = "mes=" + quote(CYRILLIC.encode(codec)) + (f"&charset={charset}" if charset else "")
    fields, answer_charset = wire.read_fields(query.encode("ascii"), b"")
    assert fields["mes"] == CYRILLIC
    assert answer_charset == (charset or "windows-1251")


def test_read_fields_without_charset_reads_windows_1251_not_utf_8():
    query = "mes=" + quote(CYRILLIC.encode("utf-8"))
    fields, _ = wire.read_fields(query.encode("ascii"), b"")
    assert fields["mes"] == CYRILLIC.encode("utf-8").decode("cp1251")


def test_read_fields_charset_in_the_body_applies_to_the_query():
    query = ("mes=" + quote(CYRILLIC.encode("koi8_r"))).encode("ascii")
    fields, charset = wire.read_fields(query, b"charset=koi8-r")
    assert (fields["mes"], charset) == (CYRILLIC, "koi8-r")


def test_read_fields_body_wins_over_query():
    fields, _ = wire.read_fields(b"mes=from+query&fmt=1&login=q", b"mes=from+body&fmt=3")
    assert fields == {"mes": "from body", "fmt": "3", "login": "q"}


@pytest.mark.parametrize(("charset", "codec"), [("utf-8", "utf-8"), ("koi8-r", "koi8_r")])
def test_read_fields_unescaped_bytes_are_in_the_charset_too(charset, codec):
    # curl -d 'mes=Привет, мир' sends the bytes as they are.
    body = b"mes=" + CYRILLIC.encode(codec) + b"&charset=" + charset.encode()
    fields, _ = wire.read_fields(b"", body)
    assert fields["mes"] == CYRILLIC


def test_read_fields_unknown_charset():
    fields, charset = wire.read_fields(b"charset=cp866&mes=Hi", b"")
    assert charset == "windows-1251"
    assert fields["mes"] == "Hi"
    with pytest.raises(WireError) as refused:
        wire.charset_name(fields["charset"])
    assert refused.value.code == 1


def test_read_fields_unknown_charset_stays_unknown_however_it_decodes():
    # "KOI8-R" with a Kelvin sign: lower() of the UTF-8 reading would be "koi8-r".
    query = "charset=" + quote("\u212aOI8-R".encode())
    fields, charset = wire.read_fields(query.encode("ascii"), b"")
    assert charset == "windows-1251"
    with pytest.raises(WireError):
        wire.charset_name(fields["charset"])


@pytest.mark.parametrize(
    "query", [b"login=l%00&psw=p%00w&mes=a%00b", b"charset=x&psw=p%00w&mes=a%00b"]
)
def test_read_fields_removes_nul_from_mes_but_not_from_credentials(query):
    fields, _ = wire.read_fields(query, b"")
    assert fields["mes"] == "ab"
    assert fields["psw"] == "p\x00w"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "windows-1251"),
        ("", "windows-1251"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        (" koi8-r ", "koi8-r"),
        ("KOI8R", "koi8-r"),
        ("cp1251", "windows-1251"),
    ],
)
def test_charset_name(value, name):
    assert wire.charset_name(value) == name


# -- encoding an answer ---------------------------------------------------------------------

CONTENT_TYPES = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}


def test_encode_windows_1251_bytes():
    assert wire.encode("Привет", 0, "windows-1251") == (
        b"\xcf\xf0\xe8\xe2\xe5\xf2",
        "text/plain; charset=windows-1251",
    )


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r", "utf-8"])
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_encode_cyrillic_round_trips(fmt, charset):
    text = wire.status([replace(ROW, message=CYRILLIC)], fmt, 1, many=False)
    assert CYRILLIC in text
    body, content_type = wire.encode(text, fmt, charset)
    assert body.decode(CODECS[charset]) == text
    assert content_type == f"{CONTENT_TYPES[fmt]}; charset={charset}"


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_encode_polish_in_json_as_unicode_escapes(charset):
    body, _ = wire.encode(wire.status([replace(ROW, message=POLISH)], 3, 1, False), 3, charset)
    decoded = body.decode(CODECS[charset])
    assert '"message": "Za\\u017c\\u00f3\\u0142\\u0107 g\\u0119' in decoded
    assert json.loads(decoded)["message"] == POLISH


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_encode_polish_in_xml_as_character_references(charset):
    body, _ = wire.encode(wire.status([replace(ROW, message=POLISH)], 2, 1, False), 2, charset)
    decoded = body.decode(CODECS[charset])
    assert "<message>Za&#380;&#243;&#322;&#263; g&#281;" in decoded
    assert ET.fromstring(decoded).findtext("message") == POLISH


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
@pytest.mark.parametrize("fmt", [0, 1])
def test_encode_polish_in_plain_formats_becomes_question_marks(fmt, charset):
    body, _ = wire.encode(wire.status([replace(ROW, message=POLISH)], fmt, 1, False), fmt, charset)
    decoded = body.decode(CODECS[charset])
    assert decoded.endswith(
        POLISH_AS_QUESTION_MARKS + ("" if fmt else ", comment = order 7, type = 0")
    )


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_encode_polish_in_utf_8_stays(fmt):
    text = wire.status([replace(ROW, message=POLISH)], fmt, 1, False)
    assert POLISH in wire.encode(text, fmt, "utf-8")[0].decode("utf-8")


@pytest.mark.parametrize("charset", ["windows-1251", "koi8-r"])
def test_encode_emoji_in_json_as_a_surrogate_pair(charset):
    body, _ = wire.encode(wire.status([replace(ROW, message="Hi 😀")], 3, 1, False), 3, charset)
    decoded = body.decode(CODECS[charset])
    assert '"message": "Hi \\ud83d\\ude00"' in decoded
    assert json.loads(decoded)["message"] == "Hi 😀"


@given(message=st.text(), charset=st.sampled_from(["windows-1251", "koi8-r"]))
def test_encode_json_carries_any_text_in_any_charset(message, charset):
    text = wire.status([replace(ROW, message=message)], 3, 1, many=False)
    body, _ = wire.encode(text, 3, charset)
    assert json.loads(body.decode(CODECS[charset]))["message"] == message


# -- send.php's time --------------------------------------------------------------------------

NOW = datetime(2026, 6, 15, 10, 30, 15, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("1506261445", datetime(2026, 6, 15, 14, 45, tzinfo=WARSAW)),
        # Ten digits starting with 0 are a date, not "0" and a timestamp.
        ("0112261200", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.26 12:00", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.2026 12:00", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.26 12:00:30", datetime(2026, 12, 1, 12, 0, 30, tzinfo=WARSAW)),
    ],
)
def test_send_time_dates_in_local_time(value, moment):
    result = wire.send_time(value, NOW)
    assert result == moment
    assert result.tzinfo is WARSAW
    assert result.replace(tzinfo=None) == moment.replace(tzinfo=None)


def test_send_time_zero_then_a_timestamp():
    result = wire.send_time("0" + str(1796200000), NOW)
    assert result.timestamp() == 1796200000
    assert result.astimezone(UTC) == datetime(2026, 12, 2, 8, 26, 40, tzinfo=UTC)
    assert result.tzinfo is WARSAW


def test_send_time_plus_minutes():
    assert wire.send_time("+90", NOW) == datetime(2026, 6, 15, 12, 0, 15, tzinfo=WARSAW)


def test_send_time_plus_minutes_are_real_minutes_across_the_dst_change():
    # 25.10.2026: 03:00 CEST becomes 02:00 CET; an hour after 02:30 CEST is 02:30 CET.
    before = datetime(2026, 10, 25, 2, 30, tzinfo=WARSAW)
    assert before.utcoffset() == timedelta(hours=2)
    result = wire.send_time("+60", before)
    assert result.timestamp() - before.timestamp() == 3600
    assert result.utcoffset() == timedelta(hours=1)
    assert result.replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("9-18", None),  # inside the window: now
        ("10-11", None),  # h1 itself is inside
        ("12-18", datetime(2026, 6, 15, 12, 0, tzinfo=WARSAW)),  # before: today at h1
        ("6-9", datetime(2026, 6, 16, 6, 0, tzinfo=WARSAW)),  # after: tomorrow at h1
        ("8-10", datetime(2026, 6, 16, 8, 0, tzinfo=WARSAW)),  # h2 itself is after
        ("0-24", None),
    ],
)
def test_send_time_hours_window(value, moment):
    assert wire.send_time(value, NOW) == moment


@pytest.mark.parametrize("value", [None, "", "  "])
def test_send_time_not_given(value):
    assert wire.send_time(value, NOW) is None


@pytest.mark.parametrize(
    "value", ["tomorrow", "25-26", "9-9", "18-9", "+", "+x", "32.13.26 10:00", "0", "-5"]
)
def test_send_time_refusals_are_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.send_time(value, NOW)
    assert refused.value.code == 1


# -- fields: lists, fmt, choices ----------------------------------------------------------------


def test_split_list():
    assert wire.split_list("48600100123") == ["48600100123"]
    assert wire.split_list("48600100123,") == ["48600100123"]
    assert wire.split_list("1,2") == ["1", "2"]
    assert wire.split_list(" 1 , 2 ,") == ["1", "2"]


def test_is_list_trailing_comma_keeps_the_list_form():
    assert wire.is_list("48600100123,")
    assert wire.is_list("1,2")
    assert not wire.is_list("48600100123")


@pytest.mark.parametrize(("fields", "fmt"), [({}, 0), ({"fmt": ""}, 0), ({"fmt": " 2 "}, 2)])
def test_fmt_of(fields, fmt):
    assert wire.fmt_of(fields) == fmt


@pytest.mark.parametrize("value", ["0", "1", "2", "3"])
def test_fmt_of_accepts_0_to_3(value):
    assert wire.fmt_of({"fmt": value}) == int(value)


@pytest.mark.parametrize("value", ["4", "x", "-1", "²"])
def test_fmt_of_refuses_others_with_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.fmt_of({"fmt": value})
    assert refused.value.code == 1


def test_choice():
    assert wire.choice({}, "all", (0, 1, 2)) == 0
    assert wire.choice({"all": ""}, "all", (0, 1, 2), default=1) == 1
    assert wire.choice({"all": " 2 "}, "all", (0, 1, 2)) == 2


@pytest.mark.parametrize("value", ["3", "x", "-1", "²"])
def test_choice_refuses_others_with_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.choice({"all": value}, "all", (0, 1, 2))
    assert refused.value.code == 1


def test_flag():
    assert wire.flag({"del": "1"}, "del")
    assert not wire.flag({"del": "0"}, "del")
    assert not wire.flag({"del": "yes"}, "del")
    assert not wire.flag({}, "del")


@pytest.mark.parametrize("value", ["31129923", "1.1.30 1:00", "1.12.26 10:00", "3112261"])
def test_send_time_refuses_short_fields_strptime_would_take(value):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    with pytest.raises(wire.WireError) as refused:
        wire.send_time(value, now)
    assert refused.value.code == 1
