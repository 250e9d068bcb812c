"""Content policy (seed 001 §7, §8e): the starter rules, folding, and staff edits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging import content
from messaging.models import ContentRule


@pytest.fixture(autouse=True)
def _fresh_policy():
    content.forget_policy()
    yield
    content.forget_policy()


@pytest.mark.parametrize(
    "text",
    [
        "Wyślij SMS o treści TAK na numer 72550 i wygraj!",
        "WYSLIJ sms na 91234",
        "Send TEXT to 79999 now",
        "Zadzwoń: 0-700 123 456",
        "Infolinia +48 701 234 567",
        "Ty kurwo",
        "Spierdalaj",
        "Sprzedam dopalacze",
    ],
)
@pytest.mark.django_db
def test_starter_rules_flag(text):
    assert content.may_be_invalid(text)


@pytest.mark.parametrize(
    "text",
    [
        "Twoja wizyta jest jutro o 10:00.",
        "Kod pocztowy 70-123 Szczecin",
        "Kwota 91234 zł została zaksięgowana",  # a number alone is not an invitation
        "Zadzwoń pod 601 345 345",
        "Happy Birthday Boss!",
        "Skurczybyk",  # not a word start of a listed stem
    ],
)
@pytest.mark.django_db
def test_ordinary_text_passes(text):
    assert not content.may_be_invalid(text)


def test_folding_removes_case_and_polish_diacritics():
    assert content.fold("  ŻÓŁĆ  Wyślij\nSMS ") == "zolc wyslij sms"


def test_word_rule_matches_at_word_start_only():
    policy = content.Policy.compile([("word", "promo kod", "test")])
    assert policy.may_be_invalid("Twój PROMO   kod: X")
    assert not policy.may_be_invalid("superpromo kod")


def test_broken_regex_is_skipped_not_fatal():
    policy = content.Policy.compile([("regex", "([", "broken"), ("word", "zakazane", "ok")])
    assert policy.reasons("to jest zakazane") == ["ok"]


@given(st.text(max_size=300))
def test_folding_is_idempotent(text):
    assert content.fold(content.fold(text)) == content.fold(text)


@pytest.mark.django_db
def test_staff_rule_applies_at_once_and_disabling_lifts_it():
    assert not content.may_be_invalid("Kup kryptowaluty teraz")
    rule = ContentRule.objects.create(kind="word", pattern="kryptowalut", reason="scam")
    assert content.may_be_invalid("Kup KRYPTOWALUTY teraz")
    rule.enabled = False
    rule.save()
    assert not content.may_be_invalid("Kup kryptowaluty teraz")


@pytest.mark.django_db
def test_admin_refuses_an_invalid_pattern(admin_client):
    response = admin_client.post(
        "/admin/messaging/contentrule/add/",
        {"pattern": "([", "kind": "regex", "reason": "x", "enabled": "on"},
    )
    assert response.status_code == 200
    assert "Not a valid pattern" in response.content.decode()
    assert not ContentRule.objects.filter(pattern="([").exists()
