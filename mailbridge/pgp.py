"""The platform's PGP key, and decrypting the mail sent to it (seed 000 §3.4.1, §3.5).

The keyring is the directory ``SMS2EMAIL_GNUPG_HOME`` (created with mode 0700).
The platform key is the newest secret key in it that can encrypt; its secret
part has no passphrase, so that the listener decrypts unattended: the
directory's permissions are what protect it. Every listener machine and the
web process that serves ``/sms2email/key.asc`` must hold the same key (copy
the directory, or export and import the secret key, before their first
start): a machine without it would make a key of its own. An older secret key
left in the keyring still decrypts, so a new key can be published while mail
encrypted to the old one is read.

Each call runs its own ``gpg`` (python-gnupg), so the listener's threads need
no lock; only making the key is serialised, across processes too (flock).
"""

import fcntl
import functools
import logging
from pathlib import Path

import gnupg
from django.conf import settings

from .models import box_address

logger = logging.getLogger(__name__)

# Never ask for a passphrase (a symmetric message fails instead of waiting on
# pinentry), and never fetch a signer's key from the network.
_OPTIONS = ["--pinentry-mode", "error", "--no-auto-key-retrieve"]
_NAME = "Sms2Email"


def home() -> Path:
    path = Path(settings.SMS2EMAIL_GNUPG_HOME)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _gpg() -> gnupg.GPG:
    return _gpg_for(str(home()))


@functools.lru_cache(maxsize=8)
def _gpg_for(path: str) -> gnupg.GPG:
    # One per keyring and process: making one runs ``gpg --version``, which cost as
    # much as a decrypt. Each operation still runs its own gpg, so threads share it.
    gpg = gnupg.GPG(gnupghome=path, options=_OPTIONS)
    gpg.encoding = "utf-8"  # python-gnupg's default, latin-1, garbles Polish letters
    return gpg


def _platform_fingerprint(gpg: gnupg.GPG) -> str | None:
    # "E" (capital) in the capabilities: the key has a usable encryption subkey.
    keys = [key for key in gpg.list_keys(secret=True) if "E" in key.get("cap", "")]
    if not keys:
        return None
    return max(keys, key=lambda key: int(key.get("date") or 0))["fingerprint"]


def ensure_key() -> str:
    """The platform key's fingerprint; the key is made (without a passphrase) if there is none."""
    gpg = _gpg()
    fingerprint = _platform_fingerprint(gpg)
    if fingerprint:
        return fingerprint
    with open(home() / ".sms2email-key.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one maker per keyring, across processes
        fingerprint = _platform_fingerprint(gpg) or _make_key(gpg)
    return fingerprint


def _make_key(gpg: gnupg.GPG) -> str:
    identity = {
        "name_real": _NAME,
        "name_email": box_address(),
        "expire_date": 0,  # a key that lapsed would silently stop mail in
        "no_protection": True,
    }
    # ed25519 signs, cv25519 encrypts: fast to make and to use. RSA for a gpg without them.
    modern = gpg.gen_key_input(
        key_type="EDDSA",
        key_curve="ed25519",
        subkey_type="ECDH",
        subkey_curve="cv25519",
        **identity,
    )
    made = gpg.gen_key(modern)
    if not made.fingerprint:
        logger.warning("sms2email: gpg cannot make an ed25519 key (%s); making RSA", made.status)
        made = gpg.gen_key(
            gpg.gen_key_input(
                key_type="RSA", key_length=3072, subkey_type="RSA", subkey_length=3072, **identity
            )
        )
    if not made.fingerprint:
        raise RuntimeError(f"gpg could not make the Sms2Email key: {made.status} {made.stderr}")
    logger.info("sms2email: made the platform PGP key %s", made.fingerprint)
    return made.fingerprint


def public_key() -> str:
    """The platform key's public part, ASCII-armoured (made first if missing)."""
    fingerprint = ensure_key()
    return _gpg().export_keys(fingerprint)


def decrypt(data: bytes) -> bytes | None:
    """The plaintext of an OpenPGP message encrypted to our key; None when we cannot read it.

    None: encrypted to another key, symmetric, signed but not encrypted,
    damaged, or its plaintext is over ``SMS2EMAIL_MAX_BYTES`` (a compressed
    message can unpack to far more than the mail's size).
    """
    limit = settings.SMS2EMAIL_MAX_BYTES
    # gpg stops writing at --max-output, rounding down to its buffer; at twice
    # the limit, a cut plaintext is always over the limit, so it is refused.
    result = _gpg().decrypt(data, extra_args=["--max-output", str(2 * limit)])
    # ok means DECRYPTION_OKAY; gpg's exit status is not used, as it is 2 for a
    # good message signed by a key we do not have.
    if not result.ok:
        logger.info("sms2email: a PGP message could not be decrypted: %s", result.status)
        return None
    if len(result.data) > limit:
        logger.info("sms2email: a decrypted PGP message is over %s bytes", limit)
        return None
    return result.data
