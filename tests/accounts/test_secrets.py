import hashlib

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
    assert first.startswith("sha256md5$")
    assert secrets.md5_hex(password) not in first


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


def test_the_md5_of_the_password_is_accepted_only_where_allowed():
    password = "Zażółć gęślą jaźń"
    stored = secrets.digest_api_password(password)
    md5 = hashlib.md5(password.encode()).hexdigest()  # noqa: S324 (an SMSC client's psw)
    assert secrets.md5_hex(password) == md5
    assert secrets.check_api_password(md5, stored, md5_allowed=True)
    assert secrets.check_api_password(password, stored, md5_allowed=True)
    assert not secrets.check_api_password(md5, stored)  # the Telecube API: the password only
    assert not secrets.check_api_password(md5.upper(), stored, md5_allowed=True)
    assert not secrets.check_api_password(md5[:-1] + "0", stored, md5_allowed=True)


def test_an_outdated_digest_checks_the_plain_password_only():
    password = secrets.generate_api_password()
    salt = "00ff00ff00ff00ff"
    outdated = f"sha256${salt}${hashlib.sha256(f'{salt}${password}'.encode()).hexdigest()}"
    assert secrets.is_outdated(outdated)
    assert not secrets.is_outdated(secrets.digest_api_password(password))
    assert secrets.check_api_password(password, outdated)
    assert not secrets.check_api_password(secrets.md5_hex(password), outdated, md5_allowed=True)


def test_sms_hash_is_128_bits_of_hex_and_digest_is_deterministic():
    sms_hash = secrets.generate_sms_hash()
    assert len(sms_hash) == 32 and int(sms_hash, 16) >= 0
    assert secrets.digest_sms_hash(sms_hash) == secrets.digest_sms_hash(sms_hash.upper())
    assert secrets.digest_sms_hash(sms_hash) != sms_hash
