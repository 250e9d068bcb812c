"""Platform-generated secrets: API passwords, SMS hashes, API usernames.

The API password is checked on every API request. It is a random 128+ bit
secret made by the platform, so a single salted SHA-256 is as strong as a slow
hash such as PBKDF2 would be (there is no dictionary to stretch against), and
no request pays for a hash that is slow on purpose.
"""

import hashlib
import hmac
import secrets
import string

API_PASSWORD_BYTES = 24  # 192 bits
SMS_HASH_BYTES = 16  # 128 bits, 32 hex characters
_DIGEST_PREFIX = "sha256"
_USERNAME_ALPHABET = string.ascii_lowercase + string.digits


def generate_api_password() -> str:
    return secrets.token_urlsafe(API_PASSWORD_BYTES)


def generate_sms_hash() -> str:
    return secrets.token_hex(SMS_HASH_BYTES)


def generate_api_username() -> str:
    return "sms_" + "".join(secrets.choice(_USERNAME_ALPHABET) for _ in range(10))


def digest_api_password(password: str, salt: str | None = None) -> str:
    """Return ``sha256$<salt>$<hex>`` for storing an API password."""
    salt = salt if salt is not None else secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
    return f"{_DIGEST_PREFIX}${salt}${digest}"


def check_api_password(password: str, stored: str) -> bool:
    try:
        prefix, salt, _ = stored.split("$", 2)
    except ValueError:
        return False
    if prefix != _DIGEST_PREFIX or not password:
        return False
    return hmac.compare_digest(digest_api_password(password, salt), stored)


def digest_sms_hash(sms_hash: str) -> str:
    """Deterministic digest of an SMS hash, so an incoming URL is looked up by it.

    No salt: the hash is a 128-bit random value, and the lookup needs one
    digest per value.
    """
    return hashlib.sha256(sms_hash.strip().lower().encode()).hexdigest()
