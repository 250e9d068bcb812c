"""Calling the SMSC-compatible ``/sys/`` endpoints the way SMSC clients do."""

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from accounts import apiauth
from accounts.models import AllowedAddress, SenderId, SenderStatus, Service
from gateways import dispatch
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.sending import send

PASSWORD_MD5 = hashlib.md5(SEED_PASSWORD.encode()).hexdigest()  # noqa: S324 (SMSC's scheme)
# Python's names for the charsets SMSC clients name.
CODECS = {"windows-1251": "cp1251", "utf-8": "utf-8", "koi8-r": "koi8_r"}
FORM = "application/x-www-form-urlencoded"


def decoded(response) -> str:
    """The answer's text: HTTP 200 always, in the charset its Content-Type names."""
    assert response.status_code == 200, response
    found = re.search(r"charset=([\w-]+)", response["Content-Type"])
    assert found, response["Content-Type"]
    return response.content.decode(CODECS[found.group(1)])


@pytest.fixture
def call(client):
    """``call("status", method="post", encoding="koi8-r", **fields)``: one request to
    ``/sys/<endpoint>.php``, the fields percent-encoded in ``encoding`` (utf-8 unless
    told) as a query string (GET) or a form body (POST); the raw response."""

    def send(endpoint, method="get", encoding="utf-8", **fields):
        query = urlencode(fields, encoding=encoding)
        path = f"/sys/{endpoint}.php"
        if method == "get":
            return client.get(f"{path}?{query}")
        return client.post(path, query, content_type=FORM)

    return send


@pytest.fixture
def smsc(call, api_service):
    """``smsc("status", id=…, phone=…)``: a request with the seed service's login and
    password; the decoded answer."""

    def send(endpoint, method="get", encoding="utf-8", **fields):
        fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, **fields}
        return decoded(call(endpoint, method, encoding, **fields))

    return send


@dataclass
class Login:
    service: Service
    login: str
    password: str

    def fields(self, **fields):
        return {"login": self.login, "psw": self.password, **fields}


@pytest.fixture
def other_login(make_service):
    """Another customer's service with API credentials of its own, from 127.0.0.1."""
    service = make_service(username="bob", balance=Decimal("100.00"))
    service.api_username = "sms_bobapi"
    service.save()
    password = apiauth.regenerate_api_password(service)
    AllowedAddress.objects.create(service=service, network="127.0.0.1")
    return Login(service, service.api_username, password)


@pytest.fixture
def minute(monkeypatch):
    """The clock minute the error-9 limits count in (``limits.within`` keys on
    ``time.time() // 60``); ``minute.next()`` moves on to the next one."""
    from messaging.smsc import limits

    now = [1_700_000_000.0]  # 20 s into a minute
    monkeypatch.setattr(limits, "time", SimpleNamespace(time=lambda: now[0]))

    def next_minute():
        now[0] += 60

    return SimpleNamespace(next=next_minute)


def allowed_sender(service: Service, name: str, **fields) -> SenderId:
    """A sender ID staff have allowed."""
    return SenderId.objects.create(
        service=service, name=name, status=SenderStatus.ALLOWED, **fields
    )


def deliver() -> int:
    """Run the dispatcher in-process until nothing is due; the simulator (delay 0)
    reports at once. Returns how many recipients went."""
    total = 0
    while count := dispatch.dispatch_batch():
        total += count
    return total


DELIVERED = "48600100123"  # the simulator's outcomes by the last three digits
REJECTED, EXPIRED, REMOTE_ERROR = "48600100000", "48600100999", "48600100998"


@pytest.fixture
def message(api_service, simulator):
    """A message to each simulator outcome, from an allowed sender, with a comment,
    dispatched and reported."""
    allowed_sender(api_service, "Shop")
    sent = send(api_service, sender="Shop", user_flag="order-7")
    deliver()
    return sent
