"""Failed panel and admin sign-ins (panel.login): an address that keeps failing is refused;
a username being guessed is slowed down for the addresses guessing it, never locked for
its owner; the owner is told by e-mail after a burst."""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Customer
from lib import throttle
from panel import login

pytestmark = pytest.mark.django_db

LIMIT, CAP = 10, 60


@pytest.fixture(autouse=True)
def rules(settings):
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_FAILURE_WINDOW = 900
    settings.LOGIN_DELAY_MAX = CAP


@pytest.fixture
def clock(monkeypatch):
    now = [1_700_000_000.5]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


@pytest.fixture
def alice(service):
    user = service.customer.user
    user.email = "alice@example.com"
    user.save()
    return user


WRONG = "guess"


def attempt(address, password=WRONG, username="alice", path="/login/") -> str:
    """'in', or the code of the sign-in form's error."""
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(path, {"username": username, "password": password})
    if "_auth_user_id" in client.session:
        return "in"
    return response.context["form"].errors.as_data()["__all__"][0].code


def test_the_delay_doubles_after_each_failure_up_to_the_cap():
    assert [login.delay(n, 60) for n in range(9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_guessing_from_many_addresses_does_not_keep_the_owner_out(alice, clock):
    answers = [attempt(f"198.51.100.{n}") for n in range(1, 31) for _ in range(2)]

    assert set(answers) == {"invalid_login", "wait"}
    assert attempt("203.0.113.7", "pw-alice") == "in"


def test_guessing_from_one_address_does_not_keep_the_owner_out(alice, clock):
    answers = []
    for _ in range(LIMIT + 3):
        answers.append(attempt("198.51.100.1"))
        clock[0] += CAP

    assert answers == ["invalid_login"] * LIMIT + ["throttled"] * 3
    assert attempt("203.0.113.7", "pw-alice") == "in"


def test_an_address_that_failed_waits_for_the_usernames_turn_even_with_the_right_password(
    alice, clock
):
    assert attempt("198.51.100.1") == "invalid_login"  # its first: checked at once

    assert attempt("198.51.100.1") == "wait"
    assert attempt("198.51.100.1", "pw-alice") == "wait"  # nothing checked, nothing told
    clock[0] += 1
    assert attempt("198.51.100.1", "pw-alice") == "in"


def test_the_guessing_rate_for_a_username_is_bounded(alice, clock):
    guessers = [f"198.51.100.{n}" for n in range(1, 8)]
    start = clock[0]
    assert [attempt(a) for a in guessers] == ["invalid_login"] * 7  # one each at once

    # They ask every 5 seconds for the rest of the window, taking turns.
    checked = []
    for second in range(5, 900, 5):
        clock[0] = start + second
        if attempt(guessers[second // 5 % 7]) == "invalid_login":
            checked.append(second)

    # Seven failures put the next turn LOGIN_DELAY_MAX away, and each one after too.
    assert checked == list(range(CAP, 900, CAP))


def test_the_owner_signing_in_does_not_lift_the_guessers_wait(alice, clock):
    for n in range(1, 6):
        attempt(f"198.51.100.{n}")
    assert attempt("203.0.113.7", "pw-alice") == "in"

    assert attempt("198.51.100.1") == "wait"


def test_a_fresh_address_gets_its_check_back_after_a_success(alice, clock):
    for n in range(1, 6):
        attempt(f"198.51.100.{n}")

    assert [attempt("203.0.113.7", "pw-alice") for _ in range(3)] == ["in"] * 3


def test_an_address_past_the_limit_is_refused_for_every_username(make_service, clock):
    make_service(username="bob")
    for n in range(LIMIT):
        assert attempt("198.51.100.1", username=f"someone{n}") == "invalid_login"

    assert attempt("198.51.100.1", "pw-bob", username="bob") == "throttled"
    assert attempt("203.0.113.7", "pw-bob", username="bob") == "in"


def test_the_owner_is_emailed_once_after_a_burst_of_failures(alice, clock):
    for n in range(1, LIMIT):
        attempt(f"198.51.100.{n}")
    assert mail.outbox == []

    attempt("2001:db8:1:2::7")
    for n in range(1, 5):
        clock[0] += CAP
        attempt(f"198.51.100.{n}")

    [notice] = mail.outbox
    assert notice.to == ["alice@example.com"]
    assert "Nieudane logowania" in notice.subject and "Failed sign-ins" in notice.subject
    assert f"{LIMIT} nieudanych prób logowania" in notice.body
    assert f"{LIMIT} failed attempts to sign in to the SMS panel as alice" in notice.body
    assert "198.51.100.1\n" in notice.body and "2001:db8:1:2::/64" in notice.body
    assert "Change your password" in notice.body and "Zmień hasło" in notice.body


def test_no_mail_for_a_username_nobody_has(alice, clock):
    for n in range(1, LIMIT + 1):
        attempt(f"198.51.100.{n}", username="mallory")

    assert mail.outbox == []
    assert attempt("203.0.113.7", "pw-alice") == "in"


def test_staff_follow_the_same_rule_in_admin(admin_user, clock):
    answers = [
        attempt(f"198.51.100.{n}", username="admin", path="/admin/login/")
        for n in range(1, LIMIT + 1)
        for _ in range(2)
    ]

    assert set(answers) == {"invalid_login", "wait"}
    assert attempt("203.0.113.7", "password", username="admin", path="/admin/login/") == "in"
    [notice] = mail.outbox
    assert notice.to == [admin_user.email]


def test_the_wait_is_said_in_seconds(alice, clock):
    for n in range(1, 6):
        attempt(f"198.51.100.{n}")
    client = Client(REMOTE_ADDR="198.51.100.1", HTTP_ACCEPT_LANGUAGE="pl")

    page = client.post("/login/", {"username": "alice", "password": "x"}).content.decode()

    assert "Spróbuj ponownie za 16 s" in page


@pytest.mark.parametrize(
    ("language", "subject", "words", "other"),
    [
        ("pl", "Nieudane logowania do panelu SMS", "nieudanych prób logowania", "Failed"),
        ("en", "Failed sign-ins to the SMS panel", "failed attempts to sign in", "Nieudane"),
    ],
)
def test_the_owner_is_told_in_their_language(alice, clock, language, subject, words, other):
    Customer.objects.filter(user=alice).update(language=language)
    for n in range(1, LIMIT + 1):
        attempt(f"198.51.100.{n}")

    [notice] = mail.outbox
    assert notice.subject == subject
    assert f"{LIMIT} {words}" in notice.body and other not in notice.body
    assert "198.51.100.1\n" in notice.body


def test_staff_without_a_customer_are_told_in_both_languages(admin_user, clock):
    for n in range(1, LIMIT + 1):
        attempt(f"198.51.100.{n}", username="admin", path="/admin/login/")

    [notice] = mail.outbox
    assert notice.subject == "Nieudane logowania do panelu SMS / Failed sign-ins to the SMS panel"
