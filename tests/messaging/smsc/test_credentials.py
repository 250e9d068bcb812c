"""Who may call the ``/sys/`` endpoints (errors 2 and 4, the md5 of the password), and
what every answer is: HTTP 200, naming its charset and its fmt's content type."""

import json

import pytest
from django.test import Client

from accounts.models import AllowedAddress
from messaging.models import Message
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

from .conftest import DELIVERED, PASSWORD_MD5, decoded

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "status": {"id": "1", "phone": DELIVERED},
    "senders": {"get": "1"},
    "send": {"phones": DELIVERED, "mes": "Hi"},
    "balance": {},
}
AUTHORISE = {
    0: "ERROR = 2 (authorise error)",
    1: "0,-2",
    2: "<result>\n<error>authorise error</error>\n<error_code>2</error_code>\n</result>",
    3: '{"error": "authorise error", "error_code": 2}',
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_error_2_for_a_wrong_password_in_each_fmt(call, api_service, endpoint, fmt):
    fields = {"login": SEED_USERNAME, "psw": "not-topsecret", "fmt": fmt, **ENDPOINTS[endpoint]}

    assert decoded(call(endpoint, **fields)) == AUTHORISE[fmt]
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "credentials",
    [
        {"login": "sms_nobody", "psw": SEED_PASSWORD},
        {"login": SEED_USERNAME},
        {"psw": SEED_PASSWORD},
        {"login": SEED_USERNAME, "psw": ""},
        {"login": SEED_USERNAME, "psw": PASSWORD_MD5.upper()},
        {"login": SEED_USERNAME, "psw": "e5" + PASSWORD_MD5[2:]},
    ],
)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_2_for_credentials_that_are_not_the_services(
    call, api_service, endpoint, credentials
):
    answer = decoded(call(endpoint, fmt=1, **credentials, **ENDPOINTS[endpoint]))

    assert answer == "0,-2"
    assert not Message.objects.exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_2_for_the_right_password_from_an_address_off_the_allowlist(api_service, endpoint):
    client = Client(REMOTE_ADDR="203.0.113.9")
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "fmt": 1, **ENDPOINTS[endpoint]}

    assert decoded(client.get(f"/sys/{endpoint}.php", fields)) == "0,-2"
    assert not Message.objects.exists()


def test_error_2_when_the_allowlist_is_empty(smsc, api_service):
    AllowedAddress.objects.filter(service=api_service).delete()

    assert smsc("balance", fmt=1) == "0,-2"


@pytest.fixture
def failure_limit(settings):
    settings.API_LOGIN_FAILURE_LIMIT = 3
    settings.API_LOGIN_FAILURE_WINDOW = 600
    return 3


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_4_while_the_address_is_blocked_after_failed_logins(
    api_service, failure_limit, endpoint
):
    client = Client(REMOTE_ADDR="203.0.113.9")  # off the allowlist
    fields = {"login": SEED_USERNAME, "fmt": 1, **ENDPOINTS[endpoint]}
    wrong = [
        decoded(client.get(f"/sys/{endpoint}.php", {**fields, "psw": f"guess{n}"}))
        for n in range(failure_limit)
    ]

    right = client.get(f"/sys/{endpoint}.php", {**fields, "psw": SEED_PASSWORD})

    assert wrong == ["0,-2"] * failure_limit
    assert decoded(right) == "0,-4"
    other_fmt = client.get(f"/sys/{endpoint}.php", {**fields, "psw": "x", "fmt": 0})
    assert decoded(other_fmt) == "ERROR = 4 (IP blocked)"
    assert not Message.objects.exists()


def test_the_block_holds_for_other_logins_from_that_address(api_service, failure_limit):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(failure_limit):
        client.get("/sys/balance.php", {"login": f"sms_guess{n}", "psw": "x", "fmt": 1})

    answer = client.get("/sys/balance.php", {"login": "sms_other", "psw": "x", "fmt": 1})

    assert decoded(answer) == "0,-4"


def test_below_the_failure_limit_the_right_password_gets_in(smsc, api_service, failure_limit):
    for _ in range(failure_limit - 1):
        assert smsc("balance", fmt=1, psw="guess") == "0,-2"

    assert smsc("balance", fmt=1) == "100.00"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_lowercase_md5_of_the_password_works_on_every_endpoint(
    call, api_service, simulator, endpoint, method
):
    fields = {"login": SEED_USERNAME, "psw": PASSWORD_MD5, "fmt": 3, **ENDPOINTS[endpoint]}

    answer = json.loads(decoded(call(endpoint, method, **fields)))

    assert "error" not in answer, answer


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("charset", ["windows-1251", "utf-8", "koi8-r", ""])
@pytest.mark.parametrize("psw", [SEED_PASSWORD, "wrong"])
def test_every_answer_is_http_200_naming_its_charset(call, api_service, endpoint, charset, psw):
    fields = {"login": SEED_USERNAME, "psw": psw, "charset": charset, **ENDPOINTS[endpoint]}

    response = call(endpoint, **fields)

    assert response.status_code == 200
    assert response["Content-Type"] == f"text/plain; charset={charset or 'windows-1251'}"


@pytest.mark.parametrize(
    "fmt, content_type",
    [(0, "text/plain"), (1, "text/plain"), (2, "text/xml"), (3, "application/json")],
)
def test_the_content_type_follows_the_fmt(call, api_service, fmt, content_type):
    response = call("balance", login=SEED_USERNAME, psw=SEED_PASSWORD, fmt=fmt, charset="utf-8")

    assert response["Content-Type"] == f"{content_type}; charset=utf-8"


def test_post_answers_as_get_does(smsc, message, minute):
    by_get = smsc("status", id=message.pk, phone=DELIVERED, fmt=3, all=2)
    by_post = smsc("status", "post", id=message.pk, phone=DELIVERED, fmt=3, all=2)

    assert by_post == by_get
    assert json.loads(by_post)["status"] == 1
