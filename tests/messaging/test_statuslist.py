"""The compact recipient list behind getProgress and gateway/ answers."""

import json
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from messaging.models import FAILURE_STATUSES, SUCCESS_STATUSES, Status
from messaging.statuslist import StatusList

numbers = st.from_regex(r"48[5-8][0-9]{8}", fullmatch=True)
pairs = st.lists(st.tuples(numbers, st.sampled_from([s.value for s in Status])), max_size=50)


@given(pairs)
def test_json_holds_every_pair_in_order(rows):
    rendered = json.loads(StatusList.from_pairs(rows).to_json())
    assert rendered == [{"number": n, "status": s} for n, s in rows]


@given(pairs)
def test_xml_repeats_the_element_per_pair(rows):
    xml = "<root>" + StatusList.from_pairs(rows).to_xml("recipient_list") + "</root>"
    items = ET.fromstring(xml).findall("recipient_list")
    assert [(i.findtext("number"), i.findtext("status")) for i in items] == rows


@given(pairs)
def test_counts_match_the_statuses(rows):
    statuses = StatusList.from_pairs(rows)
    assert len(statuses) == len(rows)
    assert statuses.count(SUCCESS_STATUSES) == sum(s in SUCCESS_STATUSES for _, s in rows)
    assert statuses.count(FAILURE_STATUSES) == sum(s in FAILURE_STATUSES for _, s in rows)
    assert statuses.pairs() == rows


def test_all_with_one_status():
    statuses = StatusList.all_with(["48600000001", "48600000002"], "PENDING")
    assert statuses.pairs() == [("48600000001", "PENDING"), ("48600000002", "PENDING")]
    assert StatusList.all_with([], "PENDING").to_json() == b"[]"
