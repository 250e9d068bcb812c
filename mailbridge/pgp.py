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

gpg-agent: gpg starts one per keyring for any use of a secret key (decrypting,
making the key), and it outlives the process that started it. Finding the
platform key does not start one: the key whose encryption subkey's secret is in
the keyring (``private-keys-v1.d/<keygrip>.key``, where gpg-agent keeps it) is
found from the public listing. The processes that decrypt or make the key (the
SMTP listener, ``receive_mail``, ``seed_demo``, ``sms2email_key``, ``rundemo``)
call ``stop_agent`` when they end. Another process still using the keyring
then starts a new agent at its next use; a decryption cut short by the stop is
tried once more.
"""

import base64
import binascii
import fcntl
import functools
import logging
import signal
import subprocess
import threading
from pathlib import Path

import gnupg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
    # "E" (capital) in the capabilities: the key has a usable encryption subkey; its
    # secret is held when gpg-agent's file for the subkey's keygrip is in the keyring.
    secrets = Path(gpg.gnupghome) / "private-keys-v1.d"
    keys = [
        key
        for key in gpg.list_keys()
        if "E" in key.get("cap", "")
        and any(
            "e" in (subkey[1] or "") and subkey[3] and (secrets / f"{subkey[3]}.key").exists()
            for subkey in key.get("subkeys", ())
        )
    ]
    if not keys:
        return None
    return max(keys, key=lambda key: int(key.get("date") or 0))["fingerprint"]


class KeyLeftBehind(ImproperlyConfigured):
    """The keyring is empty while the one an older installation used still holds a key."""


def left_behind() -> Path | None:
    """``gnupg/`` beside ``manage.py`` (the keyring's default before ``var/gnupg``) when it
    still holds a secret key and the configured keyring holds none: making a new key then
    would leave every customer's mail encrypted to the old one unreadable."""
    legacy = Path(settings.BASE_DIR) / "gnupg"
    configured = Path(settings.SMS2EMAIL_GNUPG_HOME)
    if legacy.resolve() == configured.resolve() or not _holds_secret_key(legacy):
        return None
    return None if _holds_secret_key(configured) else legacy


def _holds_secret_key(path: Path) -> bool:
    secrets = path / "private-keys-v1.d"
    return secrets.is_dir() and any(secrets.glob("*.key"))


def ensure_key() -> str:
    """The platform key's fingerprint; the key is made (without a passphrase) if there is
    none, unless an older installation's keyring still holds it (KeyLeftBehind)."""
    gpg = _gpg()
    fingerprint = _platform_fingerprint(gpg)
    if fingerprint:
        return fingerprint
    legacy = left_behind()
    if legacy is not None:
        raise KeyLeftBehind(
            f"the platform key is still in {legacy}: move that folder to "
            f"{settings.SMS2EMAIL_GNUPG_HOME} or set SMS2EMAIL_GNUPG_HOME to it"
        )
    with open(home() / ".sms2email-key.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one maker per keyring, across processes
        fingerprint = _platform_fingerprint(gpg) or _make_key(gpg)
    return fingerprint


def _make_key(gpg: gnupg.GPG) -> str:
    _started.set()
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


class TooLarge(Exception):
    """The message decrypts (and decompresses) to more than ``SMS2EMAIL_MAX_BYTES``."""


class TooManyKeys(Exception):
    """The message opens with more than ``MAX_SESSION_KEYS`` session-key packets."""


DECRYPT_TIMEOUT = 10.0
# A message encrypted to us and a few others is fine; gpg tries each session-key
# packet against our key, so a thousand of them (88 KB) cost it ten seconds.
MAX_SESSION_KEYS = 8


def decrypt(data: bytes) -> bytes | None:
    """The plaintext of an OpenPGP message encrypted to our key; None when we cannot read it.

    None: encrypted to another key, symmetric, signed but not encrypted, or damaged.
    TooLarge: its plaintext is over ``SMS2EMAIL_MAX_BYTES``. A compressed message
    can unpack to far more than the mail's size (600 KB to 500 MB: a second of
    gpg), so gpg is stopped as soon as it has written more than that.
    TooManyKeys: more than ``MAX_SESSION_KEYS`` recipients' session keys, refused
    before gpg sees it; gpg is stopped after ``DECRYPT_TIMEOUT`` seconds in any case.
    """
    if session_keys(binary_prefix(data)) > MAX_SESSION_KEYS:
        raise TooManyKeys(MAX_SESSION_KEYS)
    plaintext, agent_trouble = _decrypt_once(data)
    if plaintext is None and agent_trouble:
        # Another process's stop_agent cut this one short: the next gpg starts an agent.
        plaintext, _ = _decrypt_once(data)
    return plaintext


def _decrypt_once(data: bytes) -> tuple[bytes | None, bool]:
    """One ``gpg --decrypt``, run here rather than through python-gnupg, which reads
    gpg's whole output and cannot stop it early: (the plaintext or None, whether
    gpg failed to reach its agent)."""
    limit = settings.SMS2EMAIL_MAX_BYTES
    gpg = _gpg()
    _started.set()
    command = [
        gpg.gpgbinary, "--homedir", gpg.gnupghome, "--batch", "--no-tty", "--status-fd", "2",
        *_OPTIONS, "--max-output", str(2 * limit), "--decrypt",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 - a fixed command, the message on stdin
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    status: list[bytes] = []
    helpers = [
        threading.Thread(target=_feed, args=(process.stdin, data), daemon=True),
        threading.Thread(target=lambda: status.append(process.stderr.read()), daemon=True),
    ]
    watchdog = threading.Timer(DECRYPT_TIMEOUT, process.kill)
    for thread in (*helpers, watchdog):
        thread.start()
    try:
        plaintext = process.stdout.read(limit + 1)
        if len(plaintext) > limit:
            process.kill()
        process.wait()
    finally:
        watchdog.cancel()
        for thread in helpers:
            thread.join()
        process.stdout.close()
        process.stderr.close()
    if len(plaintext) > limit:
        logger.info("sms2email: a decrypted PGP message is over %s bytes", limit)
        raise TooLarge(limit)
    said = b"".join(status)
    # DECRYPTION_OKAY, not gpg's exit status: that is 2 for a good message signed by a
    # key we do not have.
    if b"[GNUPG:] DECRYPTION_OKAY" not in said:
        logger.info("sms2email: a PGP message could not be decrypted (gpg %s)", process.returncode)
        timed_out = process.returncode == -signal.SIGKILL
        return None, not timed_out and b"agent" in said.lower()
    return plaintext, False


def binary_prefix(data: bytes, size: int = 8192) -> bytes:
    """The first bytes of the OpenPGP packets in ``data``: ASCII armour decoded (its
    first ``size`` bytes' worth), or binary as it is."""
    start = data.find(b"-----BEGIN PGP MESSAGE-----")
    if start < 0:
        return data[:size]
    text = data[start : start + 2 * size].replace(b"\r", b"")
    _header, _blank, rest = text.partition(b"\n\n")  # armour headers end at a blank line
    lines = []
    for line in rest.split(b"\n"):
        if line.startswith((b"=", b"-----")):  # the checksum, or the end line
            break
        lines.append(line.strip())
    encoded = b"".join(lines)
    try:
        return base64.b64decode(encoded[: len(encoded) // 4 * 4])
    except (binascii.Error, ValueError):
        return b""


def session_keys(packets: bytes) -> int:
    """How many session-key packets (public-key or symmetric, RFC 4880 §5.1, §5.3) open
    ``packets``, up to the first packet of another kind (a marker packet is skipped)."""
    count = position = 0
    while position < len(packets):
        first = packets[position]
        if not first & 0x80:
            break  # not a packet header
        if first & 0x40:  # new format: tag in 6 bits, then a length of 1, 2 or 5 octets
            tag = first & 0x3F
            octet = packets[position + 1] if position + 1 < len(packets) else 255
            if octet < 192:
                length, header = octet, 2
            elif octet < 224:
                second = packets[position + 2] if position + 2 < len(packets) else 0
                length, header = ((octet - 192) << 8) + second + 192, 3
            elif octet == 255:
                length, header = int.from_bytes(packets[position + 2 : position + 6], "big"), 6
            else:
                break  # a partial length: a data packet
        else:  # old format: tag in 4 bits, then a length of 1, 2 or 4 octets
            tag, kind = (first >> 2) & 0x0F, first & 0x03
            if kind == 3:
                break  # an indeterminate length: a data packet
            size = 1 << kind
            length = int.from_bytes(packets[position + 1 : position + 1 + size], "big")
            header = 1 + size
        if tag in (1, 3):
            count += 1
        elif tag != 10:
            break
        position += header + length
    return count


def _feed(stdin, data: bytes) -> None:
    try:
        stdin.write(data)
        stdin.close()
    except OSError:  # gpg stopped reading (a damaged message, or killed)
        pass


_started = threading.Event()  # this process used the secret key: an agent may run


def stop_agent(*, if_started: bool = False) -> None:
    """Stop the keyring's gpg-agent (see the module's docstring); nothing if none runs.
    ``if_started``: only when this process used the secret key (``receive_mail``
    stops none for the many mails that are not encrypted)."""
    if if_started and not _started.is_set():
        return
    _started.clear()
    gpg = _gpg()
    try:
        subprocess.run(  # noqa: S603 - a fixed command
            ["gpgconf", "--homedir", gpg.gnupghome, "--kill", "gpg-agent"],  # noqa: S607
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        logger.warning("sms2email: the keyring's gpg-agent could not be stopped", exc_info=True)
