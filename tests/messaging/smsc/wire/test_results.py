"""messaging.smsc.wire's errors and plain results: ``error`` in each fmt as seeds 003
and 004 print it, ``ok``, and ``money`` as SMSC prints prices."""

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from messaging.smsc import wire
from messaging.smsc.wire import WireError

from .samples import xml_items

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


# -- plain results ---------------------------------------------------------------------------


def test_ok():
    assert wire.ok(0) == "OK"
    assert wire.ok(1) == "OK"
    assert wire.ok(2) == "<result>OK</result>"
    assert wire.ok(3) == '{"result": "OK"}'


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


@pytest.mark.parametrize("client_id", ["a\x08b", "\x14", "x\ufffey"])
def test_send_error_in_xml_leaves_out_what_xml_cannot_carry(client_id):
    """Found by schemathesis: a client id with a control character made fmt 2 answers
    that no XML parser reads."""
    error = wire.WireError(1, "parameters error", id=client_id)
    root = ET.fromstring(wire.error(error, 2))
    assert root.findtext("id") == client_id.replace("\x08", "").replace("\x14", "").replace(
        "\ufffe", ""
    )
