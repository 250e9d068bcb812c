"""What each door answers while the database does not (PostgreSQL restarting): the wire
error its callers retry on, never a traceback. The outage is played by every statement
failing as psycopg fails on a closed connection; tests/chaos/test_postgres_restart.py
restarts a real server."""

import json

import psycopg
import pytest
from django.db import InternalError, OperationalError
from django.db.backends import utils
from django.test import Client

from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db


def connection_lost():
    return OperationalError("server closed the connection unexpectedly")


def read_only():
    # As Django wraps psycopg's error for a write on a read-only database (SQLSTATE 25006).
    error = InternalError("cannot execute INSERT in a read-only transaction")
    error.__cause__ = psycopg.errors.ReadOnlySqlTransaction(str(error))
    return error


@pytest.fixture(params=[connection_lost, read_only])
def database_away(request, monkeypatch, api_service):
    def refuse(*args, **kwargs):
        raise request.param()

    def away():
        monkeypatch.setattr(utils.CursorWrapper, "execute", refuse)
        monkeypatch.setattr(utils.CursorWrapper, "executemany", refuse)

    return away


@pytest.fixture
def browser():
    # As a browser meets it: the server's answer, not the exception.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", ["gateway/", "gateway/xml/", "getProgress/1/", "cancelSms/"])
def test_the_api_answers_service_unavailable_with_a_retry_hint(database_away, browser, path):
    database_away()
    response = browser.post(
        f"/sms_api/{path}",
        {"username": SEED_USERNAME, "password": SEED_PASSWORD, "to_list": "601100200",
         "message": "Test", "message_id": "1"},
    )  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = response.content.decode()
    assert "SERVICE_UNAVAILABLE" in text and "Traceback" not in text
    if "xml" not in path:
        body = json.loads(text)
        assert body["error"] == "SERVICE_UNAVAILABLE"
        assert body["retry_after"] == 5


def test_smsc_send_answers_its_wait_and_retry_error(database_away, browser):
    database_away()
    response = browser.get(
        "/sys/send.php",
        {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "phones": "48601100200", "mes": "T",
         "fmt": "3"},
    )  # fmt: skip
    assert response.status_code == 200  # SMSC's clients read the code, not the status
    assert json.loads(response.content) == {
        "error": "service temporarily unavailable, try again later",
        "error_code": 9,
    }


def test_a_panel_page_says_to_try_again_in_polish(database_away, alice_client):
    alice_client.raise_request_exception = False
    database_away()  # after the login: the session and the page need it
    response = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Zaraz wracamy" in page and "odświeży się sama" in page


@pytest.mark.parametrize(
    "bug", [RuntimeError("a bug"), InternalError("tuple concurrently updated")]
)
def test_any_other_server_error_is_still_a_500(monkeypatch, alice_client, bug):
    def broken(*args, **kwargs):
        raise bug

    alice_client.raise_request_exception = False
    monkeypatch.setattr(utils.CursorWrapper, "execute", broken)
    response = alice_client.get("/")
    assert response.status_code == 500
