"""Every input limit of the SMSC-compatible API, at it and one past it: the request at
the limit is answered, the one past it gets the seed's error code (HTTP 200, as SMSC
clients expect), and an over-size body is refused before it is read (README "Limits")."""

import json
from dataclasses import dataclass

import pytest

from messaging.models import Message
from messaging.smsc import views
from tests.messaging.api.test_limits import first_answer

from .conftest import DELIVERED, decoded

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"


def numbers(count: int) -> str:
    return ",".join(f"48600{n:06d}" for n in range(count))


@dataclass(frozen=True)
class Limit:
    name: str
    endpoint: str
    settings: dict
    at: dict
    over: dict
    code: int  # seed 003/004 error_code past the limit


LIMITS = [
    Limit(
        "phones in one send",
        "send",
        {"MAX_RECIPIENTS_PER_MESSAGE": 3},
        {"phones": numbers(3), "mes": "Hi"},
        {"phones": numbers(4), "mes": "Hi"},
        1,
    ),
    Limit(
        "GSM-7 text",
        "send",
        {},
        {"phones": NUMBER, "mes": "x" * 918},
        {"phones": NUMBER, "mes": "x" * 919},
        6,
    ),
    Limit(
        "UCS-2 text",
        "send",
        {},
        {"phones": NUMBER, "mes": "ж" * 402, "charset": "utf-8"},
        {"phones": NUMBER, "mes": "ж" * 403, "charset": "utf-8"},
        6,
    ),
    Limit(
        "client id",
        "send",
        {},
        {"phones": NUMBER, "mes": "Hi", "id": "k" * views.MAX_KEY_LENGTH},
        {"phones": NUMBER, "mes": "Hi", "id": "k" * (views.MAX_KEY_LENGTH + 1)},
        1,
    ),
    Limit(
        "sender name",
        "senders",
        {},
        {"add": 1, "sender": "A" * 11},
        {"add": 1, "sender": "A" * 12},
        1,
    ),
    Limit(
        "sender number",
        "senders",
        {},
        {"add": 1, "sender": "4" * 15},
        {"add": 1, "sender": "4" * 16},
        1,
    ),
]


def answer(smsc, endpoint, fields) -> dict | list:
    return json.loads(smsc(endpoint, method="post", fmt=3, **fields))


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_a_request_at_the_limit_is_answered(limit, smsc, api_service, settings, minute):
    for name, value in limit.settings.items():
        setattr(settings, name, value)

    data = answer(smsc, limit.endpoint, limit.at)

    assert "error_code" not in data, data


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_a_request_past_the_limit_gets_the_seeds_error(limit, smsc, api_service, settings, minute):
    for name, value in limit.settings.items():
        setattr(settings, name, value)

    data = answer(smsc, limit.endpoint, limit.over)

    assert data["error_code"] == limit.code, data
    assert not Message.objects.exists()


def test_a_mass_status_request_of_max_pairs_is_answered_and_one_more_is_error_1(
    smsc, api_service, minute
):
    count = views.MAX_STATUS_PAIRS
    at = answer(
        smsc, "status", {"id": ",".join(["1"] * count), "phone": ",".join([DELIVERED] * count)}
    )
    minute.next()
    over = answer(
        smsc,
        "status",
        {"id": ",".join(["1"] * (count + 1)), "phone": ",".join([DELIVERED] * (count + 1))},
    )

    assert isinstance(at, list) and len(at) == count
    assert over["error_code"] == 1


def test_a_form_body_past_the_limit_is_error_1(client, api_service, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = "login=x&psw=y&phones=" + "," * 2000

    response = client.post(
        "/sys/send.php?fmt=3", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert json.loads(response.content)["error_code"] == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("multipart", [False, True], ids=["form", "multipart"])
def test_a_body_declared_past_the_limit_is_refused_before_it_is_sent(
    live_server, api_service, multipart
):
    boundary = "b0undary"
    if multipart:
        content_type = f"multipart/form-data; boundary={boundary}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="n.txt"\r\n\r\n'
        ).encode() + b"x" * 12_000
    else:
        content_type = "application/x-www-form-urlencoded"
        head = b"phones=" + b"4" * 12_000

    answer = first_answer(live_server, "/sys/send.php?fmt=3", content_type, head, 100_000_000)

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"error_code": 1' in answer or b'"error_code":1' in answer, answer


@pytest.mark.parametrize("method", ["get", "post"])
def test_as_many_fields_as_django_reads_are_answered_and_one_more_is_error_1(
    call, api_service, method, settings
):
    # Read as Django reads a form (DATA_UPLOAD_MAX_NUMBER_FIELDS): 8 MB of "a=&" were
    # 2.7 million pairs and 340 MB of memory before the login was even looked at.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    fields = {"login": "x", "psw": "y", "fmt": 3, **{f"f{n}": "" for n in range(17)}}
    at = json.loads(call("balance", method, **fields).content)
    over = decoded(call("balance", method, **fields, f17=""))

    assert at["error_code"] == 2  # read, then the wrong login
    # Not read, so neither is fmt: the answer is in fmt 0.
    assert over == "ERROR = 1 (parameters error)"
