"""``/sys/status.php`` (seed 003) for many (id, phone) pairs at once: each answered in
order, naming its id (and at ``all`` = 0 its phone), in a list form in every fmt."""

import json
import xml.etree.ElementTree as ET

import pytest

from tests.sending import NUMBERS

from .answers import SEED_FMT0, SEED_TAGS, fmt0_names, fmt0_values
from .conftest import DELIVERED, EXPIRED, REJECTED, REMOTE_ERROR

pytestmark = pytest.mark.django_db


def test_comma_lists_answer_each_pair_in_order_with_id_and_phone(smsc, message):
    ids = f"{message.pk},{message.pk},{message.pk + 1000}"
    phones = f"{REJECTED},+48 600 100 123,{DELIVERED}"

    lines = smsc("status", id=ids, phone=phones, fmt=1).split("\n")

    rejected = message.recipients.get(number=REJECTED).status_at
    delivered = message.recipients.get(number=DELIVERED).status_at
    assert lines == [
        f"25,{int(rejected.timestamp())},255,{message.pk},{REJECTED}",
        f"1,{int(delivered.timestamp())},0,{message.pk},{DELIVERED}",
        f"-3,0,0,{message.pk + 1000},{DELIVERED}",
    ]


def test_many_in_fmt_0_adds_id_and_at_all_0_the_phone(smsc, message, minute):
    ids, phones = f"{message.pk},{message.pk}", f"{DELIVERED},{EXPIRED}"

    plain = smsc("status", id=ids, phone=phones).split("\n")
    minute.next()
    full = smsc("status", id=ids, phone=phones, all=1).split("\n")

    assert [fmt0_names(line)[-2:] for line in plain] == [["id", "phone"]] * 2
    assert [fmt0_values(line)["phone"] for line in plain] == [DELIVERED, EXPIRED]
    assert [fmt0_names(line) for line in full] == [[*SEED_FMT0[1], "id"]] * 2
    assert [fmt0_values(line)["id"] for line in full] == [str(message.pk)] * 2


def test_many_in_fmt_1_with_all_puts_the_id_before_the_text(smsc, message):
    lines = smsc("status", id=f"{message.pk},", phone=f"{DELIVERED},", fmt=1, all=1).split("\n")

    assert len(lines) == 1
    assert lines[0].split(",")[-2:] == [str(message.pk), "Test"]


def test_many_in_fmt_2_is_a_list_of_sms_each_with_id(smsc, message):
    root = ET.fromstring(
        smsc("status", id=f"{message.pk},{message.pk}", phone=f"{DELIVERED},{EXPIRED}", fmt=2)
    )

    assert root.tag == "list"
    assert [[c.tag for c in sms] for sms in root] == [[*SEED_TAGS[0], "id", "phone"]] * 2
    assert [(sms.findtext("status"), sms.findtext("phone")) for sms in root] == [
        ("1", DELIVERED),
        ("3", EXPIRED),
    ]


def test_many_in_fmt_3_is_an_array_each_with_id(smsc, message):
    answer = json.loads(
        smsc(
            "status", id=f"{message.pk},{message.pk}", phone=f"{DELIVERED},{EXPIRED}", fmt=3, all=2
        )
    )

    assert [list(item) for item in answer] == [[*SEED_TAGS[2], "id"]] * 2
    assert [(a["status"], a["id"], a["phone"]) for a in answer] == [
        (1, message.pk, DELIVERED),
        (3, message.pk, EXPIRED),
    ]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_a_trailing_comma_keeps_the_list_form_for_one_message(smsc, message, minute, fmt):
    single = smsc("status", id=message.pk, phone=DELIVERED, fmt=fmt)
    listed = smsc("status", id=f"{message.pk},", phone=f"{DELIVERED},", fmt=fmt)

    assert single != listed
    if fmt == 0:
        assert listed == f"{single}, id = {message.pk}, phone = {DELIVERED}"
    elif fmt == 1:
        assert listed == f"{single},{message.pk},{DELIVERED}"
    elif fmt == 2:
        assert ET.fromstring(listed).tag == "list"
        assert ET.fromstring(listed)[0].findtext("id") == str(message.pk)
    else:
        assert json.loads(listed) == [{**json.loads(single), "id": message.pk, "phone": DELIVERED}]


def test_pairs_for_every_number_of_a_message_come_back_in_order(smsc, message):
    ids = ",".join([str(message.pk)] * len(NUMBERS))

    answer = json.loads(smsc("status", id=ids, phone=",".join(NUMBERS), fmt=3))

    assert [(a["phone"], a["status"], a["err"]) for a in answer] == [
        (REJECTED, 25, 255),
        (EXPIRED, 3, 0),
        (REMOTE_ERROR, 20, 255),
        (DELIVERED, 1, 0),
    ]
