from hypothesis import given
from hypothesis import strategies as st

from accounts import secrets


def test_api_password_has_at_least_128_bits():
    password = secrets.generate_api_password()
    # token_urlsafe: 6 bits per character
    assert len(password) * 6 >= 128
    assert password != secrets.generate_api_password()


def test_digest_is_salted_and_never_the_password():
    password = secrets.generate_api_password()
    first = secrets.digest_api_password(password)
    second = secrets.digest_api_password(password)
    assert password not in first
    assert first != second  # different salts
    assert first.startswith("sha256$")


def test_check_accepts_only_the_right_password():
    password = secrets.generate_api_password()
    stored = secrets.digest_api_password(password)
    assert secrets.check_api_password(password, stored)
    assert not secrets.check_api_password(password + "x", stored)
    assert not secrets.check_api_password("", stored)
    assert not secrets.check_api_password(password, "garbage")
    assert not secrets.check_api_password(password, stored.replace("sha256", "md5", 1))


@given(st.text(min_size=1))
def test_check_round_trips_any_text(password):
    assert secrets.check_api_password(password, secrets.digest_api_password(password))


def test_sms_hash_is_128_bits_of_hex_and_digest_is_deterministic():
    sms_hash = secrets.generate_sms_hash()
    assert len(sms_hash) == 32 and int(sms_hash, 16) >= 0
    assert secrets.digest_sms_hash(sms_hash) == secrets.digest_sms_hash(sms_hash.upper())
    assert secrets.digest_sms_hash(sms_hash) != sms_hash
