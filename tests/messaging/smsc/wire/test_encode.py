"""messaging.smsc.wire.encode: an answer's bytes in the charset asked for, any text
carried by fmt 2 and 3."""

import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.smsc import wire

from .samples import CODECS, CYRILLIC, POLISH, POLISH_AS_QUESTION_MARKS, ROW

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
