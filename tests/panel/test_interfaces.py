"""Interfejsy: each interface's switch, and what a switched-off one answers on its wire."""

import pytest
from django.test import Client

from accounts.models import Service
from tests.conftest import SEED_PASSWORD, SEED_USERNAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(api_service):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(api_service.customer.user)
    return client


def switch(client, service, interface, state):
    return client.post(f"/services/{service.pk}/interfaces/{interface}/{state}/", follow=True)


def gateway(client=None):
    return (
        (client or Client())
        .post(
            "/sms_api/gateway/json/",
            {
                "username": SEED_USERNAME,
                "password": SEED_PASSWORD,
                "to_list": "501234567",
                "message": "x",
            },
        )
        .json()
    )


def smsc_balance():
    return (
        Client()
        .get("/sys/balance.php", {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "fmt": 1})
        .content.decode()
    )


def test_the_http_api_switched_off_answers_login_incorrect(owner, api_service):
    assert gateway()["error"] == "OK"
    page = switch(owner, api_service, "http-api", "off").content.decode()
    assert "The HTTP API is off" in page
    answer = gateway()
    assert answer["error"] == "LOGIN_INCORRECT"
    assert "switched off" in answer["error_description"]
    assert smsc_balance() == "99.93"  # the SMSC API is another switch
    switch(owner, api_service, "http-api", "on")
    assert gateway()["error"] == "OK"


def test_the_smsc_api_switched_off_answers_error_2(owner, api_service):
    assert smsc_balance() == "100.00"
    switch(owner, api_service, "smsc-api", "off")
    assert smsc_balance() == "0,-2"
    assert gateway()["error"] == "OK"
    assert not Service.objects.get(pk=api_service.pk).smsc_api_enabled
    switch(owner, api_service, "smsc-api", "on")
    assert smsc_balance() == "99.93"


def test_a_wrong_password_to_a_switched_off_api_counts_as_before(owner, api_service):
    switch(owner, api_service, "http-api", "off")
    answer = (
        Client()
        .post(
            "/sms_api/gateway/json/",
            {
                "username": SEED_USERNAME,
                "password": "wrong",
                "to_list": "501234567",
                "message": "x",
            },
        )
        .json()
    )
    assert answer["error"] == "LOGIN_INCORRECT"
    assert "switched off" not in answer["error_description"]  # says nothing of the service


def test_the_incoming_url_follows_the_http_api_switch(owner, api_service):
    from accounts import apiauth

    sms_hash = apiauth.regenerate_sms_hash(api_service)
    fields = {"from_number": "48600100200", "to_number": "48500100200", "sms_message": "Hi"}
    assert Client().post(f"/sms_api/incoming/{sms_hash}/json/", fields).json()["error"] == "OK"
    switch(owner, api_service, "http-api", "off")
    answer = Client().post(f"/sms_api/incoming/{sms_hash}/json/", fields).json()
    assert answer["error"] == "INVALID_HASH"


def test_switches_are_the_owners_only_and_need_post(owner, api_service, make_service):
    other = make_service(username="bob")
    assert owner.post(f"/services/{other.pk}/interfaces/http-api/off/").status_code == 404
    assert Service.objects.get(pk=other.pk).http_api_enabled
    assert owner.get(f"/services/{api_service.pk}/interfaces/http-api/off/").status_code == 405
    assert owner.post(f"/services/{api_service.pk}/interfaces/ftp/off/").status_code == 404
    assert owner.post(f"/services/{api_service.pk}/interfaces/http-api/maybe/").status_code == 404


def test_the_tab_shows_each_interface_with_its_state(owner, api_service):
    page = owner.get(f"/services/{api_service.pk}/").content.decode()
    for part in (
        'id="http-api"',
        'id="smsc"',
        'id="sms2email"',
        "Switch the HTTP API off",
        "Switch the SMSC API off",
        "/sys/",
    ):
        assert part in page, part
