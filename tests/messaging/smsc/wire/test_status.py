"""messaging.smsc.wire.status: status.php's answers character for character as seed 003
prints them, for one pair and for many."""

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.smsc import wire

from .samples import CHANGED_AT, CHANGED_STAMP, MISSING, ROW, SENT_STAMP, WARSAW, xml_items

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


@given(message=st.text(), sender=st.text(), comment=st.text(), detail=st.sampled_from([1, 2]))
def test_status_fmt_2_is_xml_with_seed_tags_for_any_text(message, sender, comment, detail):
    row = replace(ROW, message=message, sender=sender, comment=comment)
    root = ET.fromstring(wire.status([row], 2, detail, many=False))
    assert [child.tag for child in root] == SEED_FIELDS[detail]

    def read(tag):
        return root.findtext(tag) or ""

    def as_parsed(text):  # characters XML cannot carry are left out; a bare CR reads as LF
        text = "".join(ch for ch in text if is_xml_char(ch))
        return text.replace("\r\n", "\n").replace("\r", "\n")

    assert (read("message"), read("sender_id"), read("comment")) == (
        as_parsed(message),
        as_parsed(sender),
        as_parsed(comment),
    )
