"""Every input limit of the SMS API, at it and one past it: the body at the limit is
taken, the one past it gets the exact wire error (name, field, HTTP status), and an
over-size body is refused before it is read (README "Limits")."""

import socket
import time
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import apiauth
from messaging.models import IncomingMessage, Message
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db

NUMBER = "48505666333"
LINE = NUMBER.encode() + b"\n"  # 12 bytes


def numbers(count: int) -> list[str]:
    return [f"48600{n:06d}" for n in range(count)]


@dataclass(frozen=True)
class Limit:
    name: str
    settings: dict  # overrides that make the limit small enough to reach
    at: dict  # gateway/ fields at the limit
    over: dict  # the same, one past it
    error: str
    error_from: str


# A ``to_file`` is built by its size in bytes; the rest are plain fields.
LIMITS = [
    Limit(
        "upload size",
        {"API_MAX_UPLOAD_BYTES": 10 * len(LINE)},
        {"to_file": LINE * 10},
        {"to_file": LINE * 10 + b"4"},
        "ERROR_SAVING_UPLOADED_FILE",
        "to_file",
    ),
    Limit(
        "recipients in to_list",
        {"MAX_RECIPIENTS_PER_MESSAGE": 3},
        {"to_list": ",".join(numbers(3))},
        {"to_list": ",".join(numbers(4))},
        "INVALID_FIELD",
        "to_list",
    ),
    Limit(
        "recipients in to_file",
        {"MAX_RECIPIENTS_PER_MESSAGE": 3},
        {"to_file": "\n".join(numbers(3)).encode()},
        {"to_file": "\n".join(numbers(4)).encode()},
        "INVALID_FIELD",
        "to_file",
    ),
    Limit(
        "GSM-7 text",
        {},
        {"message": "x" * 918},
        {"message": "x" * 919},
        "MESSAGE_TOO_LONG",
        "message",
    ),
    Limit(
        "UCS-2 text",
        {},
        {"message": "ż" * 402},
        {"message": "ż" * 403},
        "MESSAGE_TOO_LONG",
        "message",
    ),
    Limit(
        "user_flag",
        {},
        {"user_flag": "f" * 255},
        {"user_flag": "f" * 256},
        "INVALID_FIELD",
        "user_flag",
    ),
    Limit(
        "notify_url",
        {},
        {"notify_url": "https://example.com/" + "a" * 480},
        {"notify_url": "https://example.com/" + "a" * 481},
        "INVALID_FIELD",
        "notify_url",
    ),
]


def gateway(client, fields: dict):
    fields = {"username": SEED_USERNAME, "password": SEED_PASSWORD, "message": "Hi", **fields}
    if isinstance(fields.get("to_file"), bytes):
        fields["to_file"] = SimpleUploadedFile("numbers.txt", fields["to_file"])
    elif "to_file" not in fields:
        fields.setdefault("to_list", NUMBER)
    return client.post("/sms_api/gateway/", fields)


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_a_body_at_the_limit_is_taken(limit, client, api_service, settings):
    for name, value in limit.settings.items():
        setattr(settings, name, value)

    response = gateway(client, limit.at)

    assert response.status_code == 200
    assert response.json()["error"] == "OK", response.json()
    assert Message.objects.count() == 1


@pytest.mark.parametrize("limit", LIMITS, ids=lambda limit: limit.name)
def test_a_body_past_the_limit_gets_its_wire_error(limit, client, api_service, settings):
    for name, value in limit.settings.items():
        setattr(settings, name, value)

    response = gateway(client, limit.over)

    assert response.status_code == 200
    data = response.json()
    assert (data["error"], data["error_from"]) == (limit.error, limit.error_from), data
    assert not Message.objects.exists()


# -- incoming/<sms_hash>/ (its sms_message limit is in test_incoming_limits.py) --------------


@pytest.mark.parametrize("field", ["from_number", "to_number"])
def test_an_incoming_number_of_32_characters_is_kept_and_33_refused(client, api_service, field):
    sms_hash = apiauth.regenerate_sms_hash(api_service)
    fields = {"from_number": "48111222333", "to_number": "48444555666", "sms_message": "Hi"}

    at = client.post(f"/sms_api/incoming/{sms_hash}/", {**fields, field: "4" * 32}).json()
    over = client.post(f"/sms_api/incoming/{sms_hash}/", {**fields, field: "4" * 33}).json()

    assert at == {"error": "OK"}
    assert (over["error"], over["error_from"]) == ("INVALID_FIELD", field)
    assert IncomingMessage.objects.count() == 1


# -- the body as a whole ----------------------------------------------------------------------


def test_a_form_body_past_the_limit_is_error_saving_uploaded_file(client, api_service, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    body = f"username={SEED_USERNAME}&password={SEED_PASSWORD}&message=Hi&to_list="
    body += "," * (2001 - len(body))

    data = client.post(
        "/sms_api/gateway/", body, content_type="application/x-www-form-urlencoded"
    ).json()

    assert (data["error"], data["error_from"]) == ("ERROR_SAVING_UPLOADED_FILE", "to_file")


def test_more_fields_than_django_reads_is_error_saving_uploaded_file(client, api_service):
    body = f"username={SEED_USERNAME}&password={SEED_PASSWORD}&message=Hi&to_list={NUMBER}"
    body += "&x=1" * 1000  # DATA_UPLOAD_MAX_NUMBER_FIELDS

    data = client.post(
        "/sms_api/gateway/", body, content_type="application/x-www-form-urlencoded"
    ).json()

    assert data["error"] == "ERROR_SAVING_UPLOADED_FILE"


def first_answer(live_server, path: str, content_type: str, head: bytes, length: int) -> bytes:
    """Send a request's headers declaring ``length`` bytes and only ``head`` of its body;
    what the server answers within 5 s (b"" when it waits for the rest)."""
    host, port = live_server.thread.host, live_server.thread.port
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
            + head
        )
        answer = b""
        deadline = time.monotonic() + 5
        try:
            while b"}" not in answer and time.monotonic() < deadline:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            pass
        return answer


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("multipart", [False, True], ids=["form", "multipart"])
def test_a_body_declared_past_the_limit_is_refused_before_it_is_sent(
    live_server, api_service, multipart
):
    # 100 MB declared, 12 KB sent: the answer comes without the rest, so nothing
    # buffered (or spooled to disk) the body.
    boundary = "b0undary"
    if multipart:
        content_type = f"multipart/form-data; boundary={boundary}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
            f"{SEED_USERNAME}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="to_file"; filename="n.txt"\r\n\r\n'
        ).encode() + LINE * 1000
    else:
        content_type = "application/x-www-form-urlencoded"
        head = f"username={SEED_USERNAME}&to_list=".encode() + LINE * 1000

    answer = first_answer(live_server, "/sms_api/gateway/", content_type, head, 100_000_000)

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"error":"ERROR_SAVING_UPLOADED_FILE"' in answer, answer
