"""SMSC send.php ``list=``: a text per number (``phones:text`` a line, as SMSC's clients
send it) through the personalised path of the pipeline; ``cost`` answers with the sum."""

import json
from decimal import Decimal
from urllib.parse import quote

import pytest

from accounts import ledger
from messaging.models import Message, Recipient
from messaging.smsc import wire

from .test_clients import OfficialClient

pytestmark = pytest.mark.django_db

PART = Decimal("0.0700")
# SMSC's documented shape: one "phones:mes" a line, "\n" inside a text.
LIST = "48600100123:Dzień dobry Jan, wizyta jutro o 10\n600100124:Hi Bob\\nsee you\n"


def test_the_list_is_read_a_line_a_number_with_its_text():
    phones, texts = wire.send_list(
        "48600100123:Hi: Jan\r\n\n600100124,600100125:Hej\\nwam\n600100126;Yo; o 10:30"
    )
    assert phones == ["48600100123", "600100124", "600100125", "600100126"]
    assert texts == ["Hi: Jan", "Hej\nwam", "Hej\nwam", "Yo; o 10:30"]


def test_a_semicolon_separates_the_phones_from_a_text_holding_a_colon():
    # SMSC takes ":" or ";", whichever comes first, between the phones and the text.
    phones, texts = wire.send_list("48600100200;Spotkanie jutro o 10:30")
    assert (phones, texts) == (["48600100200"], ["Spotkanie jutro o 10:30"])


@pytest.mark.parametrize("value", ["48600100123 no colon", ":text without a number", "\n \n"])
def test_a_line_without_number_and_colon_is_error_1(value):
    with pytest.raises(wire.WireError) as refused:
        wire.send_list(value)
    assert refused.value.code == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_official_client_sends_a_list(client, api_service, method):
    smsc = OfficialClient(client, post=method == "post")
    m = smsc.send_sms("", "", query="list=" + quote(LIST))

    message = Message.objects.get()
    assert message.personalised
    rows = list(Recipient.objects.filter(message=message).order_by("id"))
    sent = {r.number: (r.text if r.text is not None else message.text) for r in rows}
    assert sent == {
        "48600100123": "Dzień dobry Jan, wizyta jutro o 10",
        "48600100124": "Hi Bob\nsee you",
    }
    # (id, cnt, cost, balance): cnt counts every recipient's parts, cost is the sum.
    assert (m[0], m[1]) == (str(message.pk), "2")
    assert Decimal(m[2]) == message.price == 2 * PART
    assert Decimal(m[3]) == ledger.ledger_balance(api_service.pk)


def test_cost_1_prices_the_list_without_sending(smsc, api_service):
    texts = "48600100123:" + "a" * 161 + "\n48600100124:krótki ą\n"
    answer = json.loads(smsc("send", fmt=3, cost=1, list=texts))
    assert answer == {"cost": "0.21", "cnt": 3}
    assert not Message.objects.exists()
    sent = json.loads(smsc("send", fmt=3, cost=2, list=texts))
    assert Message.objects.get().price == 3 * PART
    assert (sent["cnt"], sent["cost"]) == (3, "0.21")


def test_a_too_long_text_in_the_list_refuses_everything(smsc, api_service):
    answer = smsc("send", list="48600100123:Hej\n48600100124:" + "a" * 919)
    assert answer.startswith("ERROR = ")
    assert not Message.objects.exists()


def test_status_all_1_shows_each_recipients_own_text_and_cost(smsc, api_service):
    smsc("send", list="48600100123:Hej\n48600100124:Hej\n48600100125:" + "b" * 200)
    message = Message.objects.get()
    own = json.loads(smsc("status", fmt=3, all=1, id=message.pk, phone="48600100125"))
    plain = json.loads(smsc("status", fmt=3, all=1, id=message.pk, phone="48600100123"))
    assert (own["message"], own["sms_cnt"], own["cost"]) == ("b" * 200, 2, "0.14")
    assert (plain["message"], plain["sms_cnt"], plain["cost"]) == ("Hej", 1, "0.07")
