"""Secrets the platform must read back, encrypted at rest.

Most secrets are stored as digests (API passwords, SMS hashes). A few cannot
be: the Sms2Email password is checked inside an md5 of password + timestamp
(seed 000 §3.8), so it must be known in clear at check time. Those are kept
as Fernet tokens (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under a
key derived from ``SEALING_KEY`` (``SECRET_KEY`` when empty). A database dump
alone does not reveal them; changing the key makes them unreadable, so the
customer regenerates them.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class Unreadable(ValueError):
    """The token was sealed under another key, or is not a token."""


def _fernet() -> Fernet:
    secret = settings.SEALING_KEY or settings.SECRET_KEY
    # Derived, so that the key is never the Django secret itself.
    key = hashlib.sha256(b"smspanel sealed secrets\x00" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        raise Unreadable("sealed under another key, or not a sealed value") from None
