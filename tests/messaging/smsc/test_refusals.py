"""Every refusal of the send pipeline has an SMSC error code at each ``/sys/`` door.

send.php reads ``codes.SEND_ERRORS`` by the refusal's class, or its nearest
ancestor's; senders.php ``send_code=1`` answers any refusal with error 8 (the
code cannot be delivered) and status.php ``del=1`` with error 5 (seed 003 has
one delete error). Each walk covers every ``SendError`` subclass found
at run time, so a refusal added later is checked without being listed here.
"""

import re

import pytest

from lib import classtable
from messaging import services
from messaging.smsc import codes
from tests.refusals import each_refusal, refusal

from .conftest import allowed_sender

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"
# seed-style error answers in fmt 0: "ERROR = N (description)"
ERROR = re.compile(r"ERROR = (\d+) \(([^)]+)\)")
# send.php's codes for a refused send (codes.py): parameters, money, date, denied, number,
# cannot be delivered (every number on the stoplist).
SEND_CODES = {1, 3, 5, 6, 7, 8}


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_named_in_the_send_table_not_left_to_the_fallback(kind):
    assert classtable.nearest(codes.SEND_ERRORS, kind) not in (None, services.SendError)


@pytest.mark.parametrize("kind", each_refusal())
def test_send_php_answers_each_refusal_with_a_send_error_code(kind, smsc, api_service, monkeypatch):
    def refuse(service_id, request):
        raise refusal(kind)

    monkeypatch.setattr(services, "submit", refuse)

    answer = smsc("send", phones=NUMBER, mes="Hi")

    found = ERROR.fullmatch(answer)
    assert found, answer
    assert int(found.group(1)) in SEND_CODES


@pytest.mark.parametrize("kind", each_refusal())
def test_send_code_answers_each_refusal_with_error_8(kind, smsc, api_service, monkeypatch):
    allowed_sender(api_service, NUMBER)

    def refuse(service_id, sender_id):
        raise refusal(kind)

    monkeypatch.setattr(services, "send_sender_code", refuse)

    answer = smsc("senders", send_code=1, sender=NUMBER)

    assert answer == "ERROR = 8 (code cannot be delivered to this number)"


@pytest.mark.parametrize("kind", each_refusal())
def test_del_answers_each_refusal_with_error_5(kind, smsc, api_service, monkeypatch):
    def refuse(service_id, pairs):
        raise refusal(kind)

    monkeypatch.setattr(services, "delete_recipients", refuse)

    answer = smsc("status", id="1", phone=NUMBER, **{"del": 1})

    assert answer == "ERROR = 5 (delete error)"
