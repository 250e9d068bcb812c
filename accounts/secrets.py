"""Platform-generated secrets: API passwords, SMS hashes, API usernames.

The API password is checked on every API request. It is a random 128+ bit
secret made by the platform, so a single salted SHA-256 is as strong as a slow
hash such as PBKDF2 would be (there is no dictionary to stretch against), and
no request pays for a hash that is slow on purpose.

What is hashed is the password's lowercase MD5, not the password: SMSC clients
send ``psw`` as that MD5 (SPEC §6), so the SMSC API can check either form while
nothing stored, nor any log, holds the password. Digests made before this
(``sha256$``, of the password itself) still verify the plain password;
``apiauth`` replaces one with the current form the first time its password is
given (``is_outdated``), as the password is needed to make it.
"""

import hashlib
import hmac
import secrets
import string

API_PASSWORD_BYTES = 24  # 192 bits
SMS_HASH_BYTES = 16  # 128 bits, 32 hex characters
_DIGEST_PREFIX = "sha256md5"
_OUTDATED_PREFIX = "sha256"  # of the password itself, before MD5 passwords were read
_MD5_HEX = frozenset("0123456789abcdef")
_USERNAME_ALPHABET = string.ascii_lowercase + string.digits


def generate_api_password() -> str:
    return secrets.token_urlsafe(API_PASSWORD_BYTES)


def generate_sms_hash() -> str:
    return secrets.token_hex(SMS_HASH_BYTES)


def generate_api_username() -> str:
    return "sms_" + "".join(secrets.choice(_USERNAME_ALPHABET) for _ in range(10))


def md5_hex(password: str) -> str:
    """The lowercase MD5 an SMSC client sends as ``psw`` (of the UTF-8 bytes)."""
    return hashlib.md5(password.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _looks_like_md5(value: str) -> bool:
    return len(value) == 32 and _MD5_HEX.issuperset(value)


def _salted(prefix: str, salt: str, value: str) -> str:
    digest = hashlib.sha256(f"{salt}${value}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}${salt}${digest}"


def digest_api_password(password: str, salt: str | None = None) -> str:
    """Return ``sha256md5$<salt>$<hex>``: a salted SHA-256 of the password's MD5."""
    salt = salt if salt is not None else secrets.token_hex(8)
    return _salted(_DIGEST_PREFIX, salt, md5_hex(password))


def check_api_password(password: str, stored: str, *, md5_allowed: bool = False) -> bool:
    """Is ``password`` the one behind ``stored``? With ``md5_allowed`` its lowercase
    MD5 is accepted too (the SMSC API); an outdated digest checks the password only."""
    try:
        prefix, salt, _ = stored.split("$", 2)
    except ValueError:
        return False
    if not password:
        return False
    if prefix == _OUTDATED_PREFIX:
        return hmac.compare_digest(_salted(prefix, salt, password), stored)
    if prefix != _DIGEST_PREFIX:
        return False
    if hmac.compare_digest(_salted(prefix, salt, md5_hex(password)), stored):
        return True
    return (
        md5_allowed
        and _looks_like_md5(password)
        and hmac.compare_digest(_salted(prefix, salt, password), stored)
    )


def is_outdated(stored: str) -> bool:
    """A digest of the password itself, which cannot check an MD5 ``psw``."""
    return stored.startswith(_OUTDATED_PREFIX + "$")


def digest_sms_hash(sms_hash: str) -> str:
    """Deterministic digest of an SMS hash, so an incoming URL is looked up by it.

    No salt: the hash is a 128-bit random value, and the lookup needs one
    digest per value.
    """
    return hashlib.sha256(sms_hash.strip().lower().encode()).hexdigest()
