"""Who is calling the SMS APIs: credentials and IP allowlist, answered from the cache.

Every API request needs the service behind a username (or an SMS hash), its
password digest and its allowlist. Reading them from the database would cost
two queries a request, so they are kept in the cache and cleared whenever the
panel or admin changes them (``forget``). The password check itself is one
salted SHA-256 (see ``accounts.secrets``), not a slow hash.

A service's API password and SMS hash are changed here too
(``regenerate_api_password``, ``regenerate_sms_hash``, ``set_api_password``),
so that no change of them can leave the old one cached.

A read that raced a change must not be kept: a request reads the old row,
the change clears the cache, then the request would write what it read. So
each cached key has a version in the cache, which ``forget`` replaces; an
identity is kept with the version seen before its row was read, and is used
only while that version is current (one ``get_many`` reads both). ``forget``
runs again when the changing transaction commits, for reads made before that.

With several web processes use a shared cache (Redis): with a per-process cache
a change reaches the other processes only when their entry expires
(``API_AUTH_CACHE_SECONDS``); ``check --deploy`` warns about it.
"""

import hashlib
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from lib import clientaddress
from lib.localcache import local_cache
from lib.throttle import Throttle

from . import audit, secrets
from .models import AllowedAddress, AuditAction, Service, ServiceKind

_MISSING = "-"  # cached "no such service", so guessing names costs no queries


@dataclass(frozen=True)
class ApiIdentity:
    service_id: int
    username: str
    password_digest: str
    networks: tuple[str, ...]
    two_way: bool
    http_api: bool = True
    smsc_api: bool = True

    def check_password(self, password: str, *, md5_allowed: bool = False) -> bool:
        """The API password (or, with ``md5_allowed``, its MD5: the SMSC API).

        A digest of the outdated form is replaced once its password is given.
        """
        if not secrets.check_api_password(password, self.password_digest, md5_allowed=md5_allowed):
            return False
        if secrets.is_outdated(self.password_digest):
            _upgrade_digest(self.service_id, self.password_digest, password)
        return True

    def allows_address(self, address: str) -> bool:
        return clientaddress.address_in(address, self.networks)


def _username_key(username: str) -> str:
    # Hashed: any text a client sends makes a key every cache backend accepts.
    return "apiauth:user:" + hashlib.sha256(username.encode()).hexdigest()


def _hash_key(digest: str) -> str:
    return f"apiauth:hash:{digest}"


def _identity(service: Service) -> ApiIdentity:
    return ApiIdentity(
        service_id=service.pk,
        username=service.api_username,
        password_digest=service.api_password_digest,
        networks=tuple(service.allowed_addresses.values_list("network", flat=True)),
        two_way=service.kind == ServiceKind.TWO_WAY,
        http_api=service.http_api_enabled,
        smsc_api=service.smsc_api_enabled,
    )


_local = local_cache(settings.API_AUTH_LOCAL_SECONDS)
# Moves on with every forget() in this process: a read that began before one
# does not go into the process's memory (reads in other processes are kept
# there for API_AUTH_LOCAL_SECONDS at most).
_forgotten = itertools.count()
_generation = next(_forgotten)


def _version_key(key: str) -> str:
    return key + ":version"


def _version_seconds() -> int:
    # Outlives every entry written under the version; once it has gone, entries
    # are simply read again.
    return 2 * settings.API_AUTH_CACHE_SECONDS + 60


def _current_version(version_key: str) -> str | None:
    """Make a version for a key that has none; the one that won when another process did too."""
    version = uuid.uuid4().hex
    if cache.add(version_key, version, _version_seconds()):
        return version
    return cache.get(version_key)


def _lookup(key: str, **filters) -> ApiIdentity | None:
    found, cached = _local.get(key)
    if found:
        return None if cached == _MISSING else cached
    generation = _generation
    version_key = _version_key(key)
    values = cache.get_many([key, version_key])
    version = values.get(version_key)
    entry = values.get(key)
    if version is not None and isinstance(entry, tuple) and entry[0] == version:
        cached = entry[1]
        if generation == _generation:
            _local.set(key, cached)
        return None if cached == _MISSING else cached
    if version is None:
        version = _current_version(version_key)
    service = Service.objects.filter(**filters).first()
    identity = _identity(service) if service else None
    if version is not None:
        # Stamped with the version seen before the read: if forget() ran
        # since, the entry is already out of date and is never used.
        cache.set(key, (version, identity or _MISSING), settings.API_AUTH_CACHE_SECONDS)
    if generation == _generation:
        _local.set(key, identity or _MISSING)
    return identity


def by_username(username: str) -> ApiIdentity | None:
    if not username or len(username) > 64 or "\x00" in username:
        return None
    return _lookup(_username_key(username), api_username=username)


def by_sms_hash(sms_hash: str) -> ApiIdentity | None:
    if not sms_hash or len(sms_hash) > 128 or "\x00" in sms_hash:
        return None
    digest = secrets.digest_sms_hash(sms_hash)
    return _lookup(_hash_key(digest), sms_hash_digest=digest)


def forget(service: Service, *old_hash_digests: str, old_usernames: tuple[str, ...] = ()) -> None:
    """Drop cached identities of ``service`` (call after changing its credentials)."""
    global _generation
    keys = [_username_key(service.api_username), _hash_key(service.sms_hash_digest)]
    keys += [_hash_key(d) for d in old_hash_digests if d]
    keys += [_username_key(u) for u in old_usernames if u]
    cache.set_many({_version_key(k): uuid.uuid4().hex for k in keys}, _version_seconds())
    cache.delete_many(keys)
    # After the new versions are in place: a read that began earlier may have
    # seen the old ones, and must not go into this process's memory.
    _generation = next(_forgotten)
    _local.delete(*keys)
    if connection.in_atomic_block:
        # Until the change commits, other connections still read the old row
        # and would keep it under the new version: forget once more then.
        transaction.on_commit(
            lambda: forget(service, *old_hash_digests, old_usernames=old_usernames)
        )


def _upgrade_digest(service_id: int, outdated: str, password: str) -> None:
    # Conditional on the digest checked, so a password changed meanwhile stays.
    updated = Service.objects.filter(pk=service_id, api_password_digest=outdated).update(
        api_password_digest=secrets.digest_api_password(password)
    )
    if updated:
        forget(Service.objects.get(pk=service_id))


# -- who may come in ------------------------------------------------------------------


class Refused(Exception):
    """Credentials refused: ``reason`` is WRONG, BLOCKED or ADDRESS; each API says it
    in its own words."""

    WRONG = "wrong"  # unknown name or wrong password (the same answer, so names stay unknown)
    BLOCKED = "blocked"  # too many failed logins; ``retry_after`` seconds
    ADDRESS = "address"  # right credentials from an address not on the allowlist

    def __init__(self, reason: str, retry_after: int = 0, address: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.address = address


def login_throttle() -> Throttle:
    return Throttle(
        "api-login", settings.API_LOGIN_FAILURE_LIMIT, settings.API_LOGIN_FAILURE_WINDOW
    )


def login_keys(address: str, *usernames: str) -> tuple[str, ...]:
    """The failure counters a login touches: the address's group, and each username."""
    return (f"ip:{clientaddress.address_group(address)}", *(f"user:{n}" for n in usernames))


def admit(
    address: str, keys: tuple[str, ...], find: Callable[[], ApiIdentity | None]
) -> ApiIdentity:
    """The identity behind right credentials from an allowed address, under the
    failed-login throttle; ``find`` returns it when the credentials are right.
    Raises ``Refused``.

    While the address's group or the username is blocked, only the right
    credentials from an address on the service's own allowlist get in (an
    attacker cannot lock a customer out); everyone else is told BLOCKED
    whatever they send, so no answer says whether a password was right.
    """
    throttle = login_throttle()
    if throttle.blocked(*keys):
        identity = find()
        if identity is None or not identity.allows_address(address):
            raise Refused(Refused.BLOCKED, throttle.retry_after(*keys))
        return identity
    identity = find()
    if identity is None:
        # This failure's own count decides: concurrent guesses all passed
        # the check above, and only the first ``limit`` may hear "wrong".
        if throttle.failure(*keys):
            raise Refused(Refused.BLOCKED, throttle.retry_after(*keys))
        raise Refused(Refused.WRONG)
    # The allowlist after the password, so that ADDRESS only answers right
    # credentials: unless a block began meanwhile.
    if not identity.allows_address(address):
        if throttle.blocked(*keys, fresh=True):
            raise Refused(Refused.BLOCKED, throttle.retry_after(*keys))
        raise Refused(Refused.ADDRESS, address=address)
    return identity


def by_credentials(
    address: str, username: str, password: str, *, md5_allowed: bool = False
) -> ApiIdentity:
    """``admit`` for a username and password (the Telecube and SMSC APIs)."""
    username = username.strip()

    def find():
        identity = by_username(username)
        if identity is not None and identity.check_password(password, md5_allowed=md5_allowed):
            return identity
        return None

    return admit(address, login_keys(address, username), find)


# -- changing credentials -----------------------------------------------------------


def set_api_password(service: Service, password: str) -> None:
    """Store the digest of a given API password (migrations from another platform)."""
    service.api_password_digest = secrets.digest_api_password(password)
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(
            api_password_digest=service.api_password_digest
        )
        audit.record(
            AuditAction.API_PASSWORD, service=service, changes={"api_password": [None, None]}
        )
    forget(service)


def regenerate_api_password(service: Service) -> str:
    """Store a new API password's digest and return the password (shown once)."""
    password = secrets.generate_api_password()
    set_api_password(service, password)
    return password


def regenerate_sms_hash(service: Service) -> str:
    """Store a new SMS hash's digest and return the hash (shown once)."""
    sms_hash = secrets.generate_sms_hash()
    old_digest = service.sms_hash_digest
    service.sms_hash_digest = secrets.digest_sms_hash(sms_hash)
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(sms_hash_digest=service.sms_hash_digest)
        audit.record(AuditAction.SMS_HASH, service=service, changes={"sms_hash": [None, None]})
    forget(service, old_digest)
    return sms_hash


@receiver(pre_save, sender=Service)
def _service_saving(sender, instance, **kwargs):
    # A renamed API username must stop working at once: remember the old one.
    if instance.pk is not None:
        instance._previous_api_username = (
            Service.objects.filter(pk=instance.pk).values_list("api_username", flat=True).first()
        )


@receiver(post_save, sender=Service)
def _service_saved(sender, instance, **kwargs):
    old = getattr(instance, "_previous_api_username", None)
    forget(instance, old_usernames=(old,) if old else ())


@receiver(pre_save, sender=AllowedAddress)
def _allowlist_changing(sender, instance, **kwargs):
    # An entry moved to another service must stop admitting the old one.
    if instance.pk is not None:
        instance._previous_service_id = (
            AllowedAddress.objects.filter(pk=instance.pk)
            .values_list("service_id", flat=True)
            .first()
        )


@receiver(post_save, sender=AllowedAddress)
@receiver(post_delete, sender=AllowedAddress)
def _allowlist_changed(sender, instance, **kwargs):
    service_ids = {instance.service_id, getattr(instance, "_previous_service_id", None)}
    for service in Service.objects.filter(pk__in=[pk for pk in service_ids if pk]):
        forget(service)


@receiver(post_delete, sender=Service)
def _service_deleted(sender, instance, **kwargs):
    forget(instance)
