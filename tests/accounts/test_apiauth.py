"""API credentials come from the cache, and every change clears it at once."""

import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from accounts import apiauth
from accounts.models import AllowedAddress, Service
from tests.conftest import SEED_PASSWORD, SEED_USERNAME


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_known_username_costs_no_query_once_cached(service, django_assert_num_queries):
    password = apiauth.regenerate_api_password(service)
    apiauth.by_username(service.api_username)
    with django_assert_num_queries(0):
        identity = apiauth.by_username(service.api_username)
        assert identity.check_password(password)
        assert not identity.check_password(password + "x")
    assert apiauth.by_username("sms_nobody") is None
    with django_assert_num_queries(0):
        assert apiauth.by_username("sms_nobody") is None  # the miss is cached too


@pytest.mark.django_db
def test_renaming_the_username_forgets_the_old_one(service):
    old = service.api_username
    assert apiauth.by_username(old) is not None
    service.api_username = "sms_renamed"
    service.save()
    assert apiauth.by_username(old) is None
    assert apiauth.by_username("sms_renamed").service_id == service.pk


@pytest.mark.django_db
def test_a_new_username_is_found_even_after_a_cached_miss(make_service):
    assert apiauth.by_username("sms_brandnew") is None
    service = make_service()
    service.api_username = "sms_brandnew"
    service.save()
    assert apiauth.by_username("sms_brandnew").service_id == service.pk


@pytest.mark.django_db
def test_regenerated_sms_hash_replaces_the_old_one_at_once(service):
    old = apiauth.regenerate_sms_hash(service)
    assert apiauth.by_sms_hash(old).service_id == service.pk
    new = apiauth.regenerate_sms_hash(service)
    assert apiauth.by_sms_hash(old) is None
    assert apiauth.by_sms_hash(new).service_id == service.pk


@pytest.mark.django_db
def test_allowlist_changes_apply_at_once(service):
    assert not apiauth.by_username(service.api_username).allows_address("192.0.2.7")
    entry = AllowedAddress.objects.create(service=service, network="192.0.2.0/24")
    assert apiauth.by_username(service.api_username).allows_address("192.0.2.7")
    entry.delete()
    assert not apiauth.by_username(service.api_username).allows_address("192.0.2.7")


# -- a change racing a read ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_password_changed_during_a_read_is_refused_at_once(api_service, monkeypatch):
    # The read takes the old row; the password is regenerated (and forget() runs)
    # before the read writes it to the cache.
    from tests.conftest import SEED_PASSWORD, SEED_USERNAME

    read = apiauth._identity
    changed = {}

    def read_then_change(service):
        identity = read(service)
        changed["password"] = apiauth.regenerate_api_password(Service.objects.get(pk=service.pk))
        return identity

    monkeypatch.setattr(apiauth, "_identity", read_then_change)
    assert apiauth.by_username(SEED_USERNAME).check_password(SEED_PASSWORD)  # began before
    monkeypatch.setattr(apiauth, "_identity", read)

    identity = apiauth.by_username(SEED_USERNAME)
    assert not identity.check_password(SEED_PASSWORD)
    assert identity.check_password(changed["password"])
    answer = Client().post(
        "/sms_api/validateContent",
        {"username": SEED_USERNAME, "password": SEED_PASSWORD, "message": "Hi"},
    )
    assert answer.json()["error"] == "LOGIN_INCORRECT"


@pytest.mark.django_db
def test_an_allowlist_entry_removed_during_a_read_stops_admitting_at_once(api_service, monkeypatch):
    read = apiauth._identity

    def read_then_remove(service):
        identity = read(service)
        AllowedAddress.objects.filter(service=service).delete()
        return identity

    monkeypatch.setattr(apiauth, "_identity", read_then_remove)
    assert apiauth.by_username(api_service.api_username).allows_address("127.0.0.1")
    monkeypatch.setattr(apiauth, "_identity", read)

    assert not apiauth.by_username(api_service.api_username).allows_address("127.0.0.1")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_between_a_change_and_its_commit_is_not_kept(api_service):
    # forget() runs inside the transaction that changes the password; another
    # connection still reads the old row until it commits.
    from tests.conftest import SEED_PASSWORD, SEED_USERNAME

    def read_elsewhere():
        try:
            seen["old"] = apiauth.by_username(SEED_USERNAME).check_password(SEED_PASSWORD)
        finally:
            connection.close()

    seen = {}
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=api_service.pk)
        new_password = apiauth.regenerate_api_password(service)
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join()
    assert seen["old"] is True  # it read before the commit

    identity = apiauth.by_username(SEED_USERNAME)
    assert not identity.check_password(SEED_PASSWORD)
    assert identity.check_password(new_password)


@pytest.mark.django_db
def test_an_outdated_digest_is_replaced_when_its_password_is_given(service):
    """Digests made before MD5 passwords were read: after one login with the password,
    the password's MD5 (an SMSC client's ``psw``) is accepted too."""
    import hashlib

    password = "an old password"
    salt = "1234abcd1234abcd"
    outdated = f"sha256${salt}${hashlib.sha256(f'{salt}${password}'.encode()).hexdigest()}"
    Service.objects.filter(pk=service.pk).update(api_password_digest=outdated)
    apiauth.forget(service)
    md5 = hashlib.md5(password.encode()).hexdigest()  # noqa: S324
    assert not apiauth.by_username(service.api_username).check_password(md5, md5_allowed=True)
    assert apiauth.by_username(service.api_username).check_password(password)
    service.refresh_from_db()
    assert service.api_password_digest.startswith("sha256md5$")
    identity = apiauth.by_username(service.api_username)
    assert identity.password_digest == service.api_password_digest  # the cache was cleared
    assert identity.check_password(md5, md5_allowed=True)
    assert identity.check_password(password)


# -- the failed-login counter of a username never keeps its own servers out -------------------

GUESSER = "198.51.100.9"  # not on the allowlist


def telecube(address, password):
    fields = {"username": SEED_USERNAME, "password": password}
    fields |= {"to_list": "888222444", "message": "Hi"}
    return Client(REMOTE_ADDR=address).post("/sms_api/gateway/", fields).json()["error"]


def smsc(address, password):
    fields = {"login": SEED_USERNAME, "psw": password, "fmt": 1}
    return Client(REMOTE_ADDR=address).get("/sys/balance.php", fields).content.decode()


DOORS = {
    # door: (ask, what a blocked username is told, what the service's own server gets)
    "telecube": (telecube, "TOO_MANY_FAILED_LOGINS", "OK"),
    "smsc": (smsc, "0,-4", "100.00"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("door", DOORS)
def test_the_right_password_from_the_allowlist_gets_in_while_the_username_is_blocked(
    api_service, settings, door
):
    ask, blocked, admitted = DOORS[door]
    settings.API_LOGIN_FAILURE_LIMIT = 3
    for n in range(1, 5):  # from four addresses: only the username's count reaches the limit
        ask(f"203.0.113.{n}", f"guess-{n}")

    assert ask(GUESSER, SEED_PASSWORD) == blocked  # the username is blocked elsewhere
    assert ask("127.0.0.1", SEED_PASSWORD) == admitted  # on the service's allowlist
    assert ask("127.0.0.1", "guess") == blocked  # but not a wrong password from it
