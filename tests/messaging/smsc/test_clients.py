"""Existing SMSC clients, unchanged but for the host: the official Python client's request
shapes and answer parsing as published (smsc_api.py), and text round trips through
send.php and status.php in each charset."""

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import quote

import pytest

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, SenderId, SenderStatus, Service
from messaging.models import Message
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

from .conftest import FORM, decoded, deliver

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"


class OfficialClient:
    """SMSC's official Python client (``smsc_api.py``, class ``SMSC``) with its
    ``urlopen`` replaced by the Django test client: the same query strings, built the
    same way, and the same parsing of the answers."""

    def __init__(self, http, login=SEED_USERNAME, password=SEED_PASSWORD, post=False):
        self.http, self.login, self.password, self.post = http, login, password, post
        self.charset = "utf-8"  # SMSC_CHARSET
        self.requests = []

    def send_sms(self, phones, message, translit=0, time="", id=0, sender=False, query=""):
        return self._smsc_send_cmd(
            "send",
            "cost=3&phones="
            + quote(phones)
            + "&mes="
            + quote(message)
            + "&translit="
            + str(translit)
            + "&id="
            + str(id)
            + ("" if sender is False else "&sender=" + quote(str(sender)))
            + ("&time=" + quote(time) if time else "")
            + (query and "&" + query or ""),
        )  # (id, cnt, cost, balance) or (id, -error)

    def get_sms_cost(self, phones, message, translit=0, sender=False):
        return self._smsc_send_cmd(
            "send",
            "cost=1&phones="
            + quote(phones)
            + "&mes="
            + quote(message)
            + ("" if sender is False else "&sender=" + quote(str(sender)))
            + "&translit="
            + str(translit),
        )  # (cost, cnt) or (0, -error)

    def get_status(self, id, phone, all=0):
        m = self._smsc_send_cmd(
            "status", "phone=" + quote(phone) + "&id=" + str(id) + "&all=" + str(all)
        )  # (status, time, err, ...) or (0, -error)
        if all and len(m) > 9 and (len(m) < 14 or m[14] != "HLR"):
            m = (",".join(m)).split(",", 8)
        return m

    def get_balance(self):
        m = self._smsc_send_cmd("balance")  # (balance) or (0, -error)
        return False if len(m) > 1 else m[0]

    def _smsc_send_cmd(self, cmd, arg=""):
        url = "/sys/" + cmd + ".php"
        arg = (
            "login="
            + quote(self.login)
            + "&psw="
            + quote(self.password)
            + "&fmt=1&charset="
            + self.charset
            + "&"
            + arg
        )
        if self.post:
            response = self.http.post(url, arg.encode(self.charset), content_type=FORM)
        else:
            response = self.http.get(url + "?" + arg)
        self.requests.append(url + "?" + arg)
        assert response["Content-Type"] == f"text/plain; charset={self.charset}"
        assert response.status_code == 200
        return response.content.decode(self.charset).split(",")


@pytest.fixture(params=["get", "post"])
def official(request, client, api_service):
    return OfficialClient(client, post=request.param == "post")


# -- the published request shapes -------------------------------------------------------------


def test_the_requests_are_the_published_shapes(client, api_service, simulator):
    smsc = OfficialClient(client)
    m = smsc.send_sms(NUMBER, "Hi")
    smsc.get_status(m[0], NUMBER, 1)
    smsc.get_balance()

    login = f"login={SEED_USERNAME}&psw={SEED_PASSWORD}&fmt=1&charset=utf-8"
    assert smsc.requests == [
        f"/sys/send.php?{login}&cost=3&phones={NUMBER}&mes=Hi&translit=0&id=0",
        f"/sys/status.php?{login}&phone={NUMBER}&id={m[0]}&all=1",
        f"/sys/balance.php?{login}&",
    ]


# -- send_sms: (id, cnt, cost, balance) -------------------------------------------------------


def test_send_sms_answers_id_count_cost_and_balance(official, api_service):
    m = official.send_sms(f"{NUMBER},48600100124", "Hello from the official client")

    message = Message.objects.get()
    assert len(m) == 4
    assert m[1] > "0"  # how the client tells success
    assert (m[0], m[1]) == (str(message.pk), "2")
    assert Decimal(m[2]) == message.price > 0
    assert Decimal(m[3]) == Service.objects.get(pk=api_service.pk).balance


def test_send_sms_with_id_0_is_no_idempotency_key(official, api_service):
    # The client sends id=0 whenever its caller gives no id.
    first = official.send_sms(NUMBER, "First")
    second = official.send_sms("48600100124", "Second")

    assert first[0] != second[0]
    assert first[1] == second[1] == "1"
    assert sorted(Message.objects.values_list("text", flat=True)) == ["First", "Second"]
    charges = LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.CHARGE)
    assert charges.count() == 2


def test_send_sms_with_an_id_sends_once(official, api_service):
    first = official.send_sms(NUMBER, "Hi", id=777)
    again = official.send_sms(NUMBER, "Hi", id=777)

    assert again == first
    assert Message.objects.count() == 1


def test_send_sms_with_a_sender_and_a_time(official, api_service):
    SenderId.objects.create(service=api_service, name="Shop", status=SenderStatus.ALLOWED)

    m = official.send_sms(NUMBER, "Hi", sender="Shop", time="+60")

    message = Message.objects.get(pk=int(m[0]))
    assert message.sender == "Shop"
    assert message.send_at > message.created_at


def test_get_sms_cost_answers_cost_and_count_and_sends_nothing(official, api_service):
    m = official.get_sms_cost(f"{NUMBER},48600100124", "x" * 200)

    assert len(m) == 2 and m[1] == "4"
    assert Decimal(m[0]) > 0
    assert not Message.objects.exists()
    assert Service.objects.get(pk=api_service.pk).balance == Decimal("100.00")


# -- errors: (0, -N) --------------------------------------------------------------------------


def test_a_wrong_password_is_0_minus_2_everywhere(client, api_service):
    smsc = OfficialClient(client, password="wrong")

    assert smsc.send_sms(NUMBER, "Hi") == ["0", "-2"]
    assert smsc.get_status(1, NUMBER) == ["0", "-2"]
    assert smsc.get_sms_cost(NUMBER, "Hi") == ["0", "-2"]
    assert smsc.get_balance() is False


def test_send_errors_are_read_as_m1_starting_with_minus(official, api_service):
    ledger.adjust(api_service.pk, -api_service.balance, note="test: no funds")

    m = official.send_sms(NUMBER, "Hi")

    assert m == ["0", "-3"]
    assert m[1][1:] == "3"  # the client's "Ошибка №" + m[1][1:]
    assert official.send_sms("123", "Hi") == ["0", "-7"]
    assert official.send_sms(NUMBER, "") == ["0", "-1"]


def test_a_send_error_with_an_id_names_it_in_m0(official, api_service):
    assert official.send_sms("123", "Hi", id=55) == ["55", "-7"]


# -- get_status -------------------------------------------------------------------------------


def test_get_status_all_0_is_status_time_err(official, api_service, simulator):
    m = official.send_sms(NUMBER, "Hi")
    pending = official.get_status(m[0], NUMBER)
    deliver()

    delivered = official.get_status(m[0], NUMBER)

    recipient = Message.objects.get().recipients.get()
    assert pending[0] == "-1"
    assert delivered == ["1", str(int(recipient.status_at.timestamp())), "0"]


def test_get_status_all_1_gives_the_whole_text_in_m8_even_with_commas(
    official, api_service, simulator
):
    text = "Order 7, 2 items, total 10,50 PLN"
    m = official.send_sms(NUMBER, text)
    deliver()

    status = official.get_status(m[0], NUMBER, 1)

    assert len(status) == 9
    assert status[8] == text
    assert (status[0], status[2], status[4], status[7]) == ("1", "0", NUMBER, "Delivered")
    assert Decimal(status[5]) == Message.objects.get().price


def test_get_status_all_1_of_a_text_without_commas(official, api_service, simulator):
    m = official.send_sms(NUMBER, "Hi")
    deliver()

    status = official.get_status(m[0], NUMBER, 1)

    assert (len(status), status[0], status[8]) == (9, "1", "Hi")


def test_get_status_of_an_unknown_message_is_status_minus_3(official, api_service):
    m = official.get_status(999999, NUMBER)

    assert m[0] == "-3"
    assert m[1] >= "0"  # the client reads it as a status, not an error


# -- get_balance ------------------------------------------------------------------------------


def test_get_balance_is_the_balance_alone(official, api_service):
    Service.objects.filter(pk=api_service.pk).update(credit_limit=Decimal("50"))

    assert official.get_balance() == "100.00"
    m = official.send_sms(NUMBER, "Hi")
    assert official.get_balance() == m[3]


# -- charset round trips ----------------------------------------------------------------------

CYRILLIC = "Привет, мир! Съешь же ещё этих мягких булок"
POLISH = "Zażółć gęślą jaźń, ŻÓŁW"


@pytest.mark.parametrize("charset, codec", [("koi8-r", "koi8_r"), ("windows-1251", "cp1251")])
def test_cyrillic_sent_and_read_back_in_the_same_charset(call, api_service, charset, codec):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "charset": charset, "fmt": 1}
    message_id = decoded(call("send", encoding=codec, phones=NUMBER, mes=CYRILLIC, **login))
    message_id = message_id.split(",")[0]

    response = call("status", encoding=codec, id=message_id, phone=NUMBER, all=1, **login)

    assert response["Content-Type"] == f"text/plain; charset={charset}"
    assert CYRILLIC.encode(codec) in response.content
    assert response.content.decode(codec).split(",", 8)[8] == CYRILLIC
    assert Message.objects.get().text == CYRILLIC


def test_cyrillic_in_the_default_charset_needs_no_charset_field(call, api_service):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "fmt": 1}
    message_id = decoded(call("send", encoding="cp1251", phones=NUMBER, mes=CYRILLIC, **login))

    response = call("status", id=message_id.split(",")[0], phone=NUMBER, all=1, **login)

    assert response["Content-Type"] == "text/plain; charset=windows-1251"
    assert response.content.decode("cp1251").split(",", 8)[8] == CYRILLIC


def test_cyrillic_sent_in_koi8_r_reads_back_in_utf_8(call, api_service):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "fmt": 1}
    sent = decoded(
        call("send", encoding="koi8_r", charset="koi8-r", phones=NUMBER, mes=CYRILLIC, **login)
    )

    answer = decoded(
        call("status", charset="utf-8", id=sent.split(",")[0], phone=NUMBER, all=1, **login)
    )

    assert answer.split(",", 8)[8] == CYRILLIC


def test_polish_sent_in_utf_8_reads_back_in_windows_1251_json_as_escapes(call, api_service):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD}
    sent = decoded(call("send", charset="utf-8", fmt=1, phones=NUMBER, mes=POLISH, **login))

    response = call(
        "status", charset="windows-1251", fmt=3, id=sent.split(",")[0], phone=NUMBER, all=1, **login
    )

    assert response["Content-Type"] == "application/json; charset=windows-1251"
    assert b"\\u017c" in response.content  # ż has no windows-1251 byte: escaped
    assert json.loads(response.content.decode("cp1251"))["message"] == POLISH


def test_polish_sent_in_utf_8_reads_back_in_windows_1251_xml_as_references(call, api_service):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD}
    sent = decoded(call("send", charset="utf-8", fmt=1, phones=NUMBER, mes=POLISH, **login))

    response = call("status", fmt=2, id=sent.split(",")[0], phone=NUMBER, all=1, **login)

    assert response["Content-Type"] == "text/xml; charset=windows-1251"
    assert b"&#380;" in response.content  # ż
    assert ET.fromstring(response.content.decode("cp1251")).findtext("message") == POLISH


def test_polish_in_windows_1251_fmt_1_cannot_be_carried(call, api_service):
    # fmt 0 and 1 have no escape: a letter the charset lacks is "?" (messaging.smsc.wire).
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD}
    sent = decoded(call("send", charset="utf-8", fmt=1, phones=NUMBER, mes="Łódź", **login))

    answer = decoded(call("status", fmt=1, id=sent.split(",")[0], phone=NUMBER, all=1, **login))

    assert answer.split(",", 8)[8] == "??d?"
    assert Message.objects.get().text == "Łódź"


def test_polish_round_trip_in_utf_8(call, api_service):
    login = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "charset": "utf-8"}
    sent = decoded(call("send", fmt=1, phones=NUMBER, mes=POLISH, **login))

    answer = decoded(call("status", fmt=1, id=sent.split(",")[0], phone=NUMBER, all=1, **login))

    assert answer.split(",", 8)[8] == POLISH
