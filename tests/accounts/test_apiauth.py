"""API credentials come from the cache, and every change clears it at once."""

import pytest
from django.core.cache import cache

from accounts import apiauth
from accounts.models import AllowedAddress


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_known_username_costs_no_query_once_cached(service, django_assert_num_queries):
    password = service.regenerate_api_password()
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
    old = service.regenerate_sms_hash()
    assert apiauth.by_sms_hash(old).service_id == service.pk
    new = service.regenerate_sms_hash()
    assert apiauth.by_sms_hash(old) is None
    assert apiauth.by_sms_hash(new).service_id == service.pk


@pytest.mark.django_db
def test_allowlist_changes_apply_at_once(service):
    assert not apiauth.by_username(service.api_username).allows_address("192.0.2.7")
    entry = AllowedAddress.objects.create(service=service, network="192.0.2.0/24")
    assert apiauth.by_username(service.api_username).allows_address("192.0.2.7")
    entry.delete()
    assert not apiauth.by_username(service.api_username).allows_address("192.0.2.7")
