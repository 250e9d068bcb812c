"""The API's JSON and XML bodies (messaging.api.render) for any text a caller can put in
them: JSON gives the text back exactly, XML gives it back less only what XML 1.0 cannot
carry at all, and no character makes either answer unreadable. The chaos run
(``make chaos``) runs these with 10,000 examples each."""

import json
import xml.etree.ElementTree as ET

from hypothesis import example, given, settings
from hypothesis import strategies as st

from messaging.api.render import _NOT_XML, to_json, to_xml
from messaging.statuslist import StatusList
from tests.conftest import examples

# What a caller controls in an answer: user_flag, a message's text, an error's detail.
texts = st.text(alphabet=st.characters(codec="utf-8"))
recipients = StatusList.from_pairs([("48600100200", "DELIVERED"), ("48600100201", "PENDING")])


@settings(max_examples=examples(300))
@given(texts, texts)
@example("\x00raw0\x00", "")  # the placeholder the renderer once used for the list
def test_any_text_round_trips_through_json_beside_a_recipient_list(flag, detail):
    payload = {"error": "OK", "user_flag": flag, "recipient_list": recipients, "detail": detail}
    answer = json.loads(to_json(payload))
    assert answer["user_flag"] == flag
    assert answer["detail"] == detail
    assert answer["recipient_list"] == json.loads(recipients.to_json())


@settings(max_examples=examples(300))
@given(texts, texts)
def test_any_text_makes_well_formed_xml_and_comes_back_less_only_what_xml_cannot_carry(
    flag, detail
):
    payload = {"error": "OK", "user_flag": flag, "recipient_list": recipients, "detail": detail}
    root = ET.fromstring(to_xml(payload))
    assert (root.findtext("user_flag") or "") == _NOT_XML.sub("", flag)
    assert (root.findtext("detail") or "") == _NOT_XML.sub("", detail)
    assert len(root.findall("recipient_list")) == len(recipients)
