"""lib.sealed: a secret the platform must read back is stored encrypted."""

import pytest

from lib import sealed


def test_a_sealed_secret_reads_back_and_is_not_kept_in_clear():
    token = sealed.seal("motylek123 zażółć")
    assert "motylek123" not in token
    assert sealed.unseal(token) == "motylek123 zażółć"
    assert sealed.seal("same") != sealed.seal("same")  # a fresh IV each time


def test_another_key_cannot_read_it(settings):
    token = sealed.seal("motylek123")
    settings.SEALING_KEY = "another key entirely"
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(token)


def test_garbage_is_unreadable_not_a_crash():
    with pytest.raises(sealed.Unreadable):
        sealed.unseal("not a token")
