"""The audit log: who changed money, a service's state, credentials, sender-ID
moderation, tariffs, an allowlist, a callback URL or Sms2Email's settings, when,
from which address, and what changed.

``record`` writes one ``AuditEntry``; every place that makes such a change calls
it inside the change's own transaction, so a change rolled back leaves no entry and
a committed one always has its entry. It takes who acts from the context: the
request being served (``AuditMiddleware``: staff in admin, the customer in the
panel, with the client's address as ``lib.clientaddress`` finds it), or a
management command (``command``); anything else is the platform itself.

A secret (a password, hash, signing secret or key) is never stored: its fields
(``SECRET_FIELDS``) keep only ``MASK`` on both sides, whatever the caller passed.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.apps import apps
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lib import clientaddress, l10n

from .models import ActorKind, AllowedAddress, AuditAction, AuditEntry, Customer, Service
from .signals import state_changed

MASK = "••••"
# Fields whose values never reach the log (the value shown instead is MASK).
SECRET_FIELDS = frozenset(
    {
        "api_password",
        "api_password_digest",
        "sms_hash",
        "sms_hash_digest",
        "signing_secret",
        "callback_key_version",
        "password",
        "password_sealed",
        "ups_subdomain",  # mail to it becomes SMS: an address that works as a key
        "code_digest",
    }
)

# Fields a change names that are no model's field.
FIELD_LABELS = {
    "amount": _("amount"),
    "note": _("note"),
    "api_password": _("API password"),
    "sms_hash": _("SMS hash"),
    "signing_secret": _("callback signing secret"),
    "password": _("Sms2Email password"),
}
MONEY_FIELDS = frozenset({"amount"})
CURRENCY_CODE = "PLN"  # as the money fields' labels name it


@dataclass(frozen=True)
class Actor:
    kind: str
    label: str
    user: object = None
    address: str | None = None


SYSTEM = Actor(ActorKind.SYSTEM, "system")

_request: ContextVar = ContextVar("audit_request", default=None)
_actor: ContextVar = ContextVar("audit_actor", default=None)


class AuditMiddleware:
    """Remembers the request being served, for ``record`` to name who acts. Nothing is
    read from it (no session, no user) unless a change is recorded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


@contextlib.contextmanager
def command(name: str) -> Iterator[None]:
    """Inside it, changes are recorded as made by the management command ``name``
    (staff at the console: no address)."""
    token = _actor.set(Actor(ActorKind.COMMAND, name))
    try:
        yield
    finally:
        _actor.reset(token)


def _address(request) -> str | None:
    try:
        return str(clientaddress.parse_address(clientaddress.request_address(request)))
    except ValueError:
        return None


def current_actor() -> Actor:
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    if request is None:
        return SYSTEM
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Actor(ActorKind.SYSTEM, "system", address=_address(request))
    # Admin is staff's door; a staff user in the panel acts as the customer there.
    in_admin = request.path.startswith(reverse("admin:index"))
    kind = ActorKind.STAFF if in_admin else ActorKind.CUSTOMER
    return Actor(kind, user.get_username(), user=user, address=_address(request))


# -- values --------------------------------------------------------------------------


def plain(value):
    """A value as the log keeps it: JSON's own types, a model object as its name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):  # quiet hours' times, as typed: 08:00
        return value.isoformat("minutes" if not value.second and not value.microsecond else "auto")
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a name that is no field of the model
        return None


def field_value(instance: models.Model, name: str):
    """The field ``name`` of ``instance`` as the log keeps it."""
    return plain(getattr(instance, name, None))


def snapshot(instance: models.Model, names) -> dict:
    return {name: field_value(instance, name) for name in names}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} of the fields whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in after
        if before.get(name) != after.get(name)
    }


def form_changes(form) -> dict:
    """What a bound, valid model form changes: {field: [before, after]}, the before
    from the form's initial data (the object as it was loaded)."""
    model = form._meta.model
    changes = {}
    for name in form.changed_data:
        before = form.initial.get(name)
        after = form.cleaned_data.get(name)
        field = _field(model, name)
        if field is not None and field.is_relation and before is not None:
            # The form's initial data holds the key; the log keeps the object's name.
            before = field.related_model._default_manager.filter(pk=before).first()
        before, after = plain(before), plain(after)
        if before != after:
            changes[name] = [before, after]
    return changes


# -- writing -------------------------------------------------------------------------

# URLs a customer may put a credential in (user:password@, a token in the query): the
# log keeps where they point, never what would let someone else post there.
URL_FIELDS = frozenset({"callback_url", "notify_url"})


def masked_url(value):
    """``value`` with the password of its user part and the values of its query masked."""
    if not isinstance(value, str) or not value:
        return value
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None:
        netloc = f"{parts.username}{':' + MASK if parts.password is not None else ''}@{netloc}"
    query = "&".join(
        f"{name}={MASK}" if value else name
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _kept(name, before, after) -> list:
    if name in SECRET_FIELDS:
        return [MASK, MASK]
    before, after = plain(before), plain(after)
    if name in URL_FIELDS:
        return [masked_url(before), masked_url(after)]
    return [before, after]


def record(
    action: str,
    *,
    service: Service | None = None,
    customer: Customer | None = None,
    obj: models.Model | None = None,
    target: str = "",
    changes: dict | None = None,
    model: type[models.Model] | None = None,
) -> AuditEntry:
    """Write one entry for ``action`` on ``service`` (and its customer), by whoever
    acts now. ``obj`` (or ``model``) is the object changed, whose fields ``changes``
    names (the service when neither is given); ``target`` names it (a tariff, a
    sender name, an address). Call it inside the change's transaction."""
    actor = current_actor()
    changes = {
        str(name): _kept(name, before, after) for name, (before, after) in (changes or {}).items()
    }
    if customer is None and service is not None:
        customer = service.customer
    if model is None:
        model = type(obj) if obj is not None else Service
    return AuditEntry.objects.create(
        actor_kind=actor.kind,
        actor=actor.user,
        actor_label=actor.label[:150],
        address=actor.address,
        customer=customer,
        customer_label=str(customer.name)[:200] if customer is not None else "",
        service=service,
        service_label=str(service)[:250] if service is not None else "",
        action=action,
        object_type=model._meta.label_lower,
        target=str(target)[:250],
        changes=changes,
    )


# Changes made wherever they are made: a state change (Service._transition) and the
# allowlist, which the panel, admin's inline and its own admin page all edit.


@receiver(state_changed, sender=Service)
def _state_changed(sender, service, before, after, **kwargs):
    record(AuditAction.STATE, service=service, changes={"state": [before, after]})


_ALLOWLIST_FIELDS = ("network", "note")


@receiver(pre_save, sender=AllowedAddress)
def _allowlist_saving(sender, instance, **kwargs):
    instance._audit_before = None
    if instance.pk is not None:
        instance._audit_before = (
            AllowedAddress.objects.filter(pk=instance.pk)
            .values("service_id", *_ALLOWLIST_FIELDS)
            .first()
        )


@receiver(post_save, sender=AllowedAddress)
def _allowlist_saved(sender, instance, created, **kwargs):
    after = snapshot(instance, _ALLOWLIST_FIELDS)
    before = getattr(instance, "_audit_before", None)
    if before is not None and before["service_id"] != instance.service_id:
        # Moved to another service: one lost the address, the other gained it.
        was = {name: before[name] for name in _ALLOWLIST_FIELDS}
        old = Service.objects.filter(pk=before["service_id"]).select_related("customer").first()
        record(
            AuditAction.ALLOWLIST_REMOVED,
            service=old,
            obj=instance,
            target=was["network"],
            changes={name: [value, None] for name, value in was.items() if value},
        )
        before = None
    if created or before is None:
        added = {name: value for name, value in after.items() if value not in (None, "")}
        action, changes = AuditAction.ALLOWLIST_ADDED, diff({}, added)
    else:
        action, changes = AuditAction.ALLOWLIST_CHANGED, diff(before, after)
        if not changes:
            return
    record(action, service=instance.service, obj=instance, target=instance.network, changes=changes)


@receiver(post_delete, sender=AllowedAddress)
def _allowlist_deleted(sender, instance, **kwargs):
    before = snapshot(instance, _ALLOWLIST_FIELDS)
    service = Service.objects.filter(pk=instance.service_id).select_related("customer").first()
    record(
        AuditAction.ALLOWLIST_REMOVED,
        service=service,
        obj=instance,
        target=instance.network,
        changes={name: [value, None] for name, value in before.items() if value},
    )


# -- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    masked: bool


def _is_money(field, name: str) -> bool:
    return name in MONEY_FIELDS or isinstance(field, models.DecimalField)


def _shown(field, name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field is not None and field.choices:
        for choice, label in field.flatchoices:
            if choice == value:
                return str(label)
    if _is_money(field, name):
        # Balances and limits as the panel shows them; prices and amounts as kept.
        places = 4 if name in MONEY_FIELDS or name.endswith("_price") else 2
        try:
            return l10n.money(Decimal(value), places)
        except (InvalidOperation, ValueError, TypeError):
            return str(value)
    return str(value)


def changes_of(entry: AuditEntry) -> list[Change]:
    """The entry's changes in the reader's language: field labels, choices in words,
    money the reader's way; a secret as a change without its value."""
    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        model = None
    shown = []
    for name, (before, after) in entry.changes.items():
        field = _field(model, name) if model is not None else None
        if name in FIELD_LABELS:
            label = FIELD_LABELS[name]
        elif field is not None:
            label = field.verbose_name
        else:
            label = name
        if _is_money(field, name):
            # The amounts name their currency: "balance (PLN)" says it twice.
            label = str(label).replace(f" ({CURRENCY_CODE})", "")
        if name in SECRET_FIELDS:
            shown.append(Change(str(label), MASK, str(_("regenerated")), True))
        else:
            shown.append(
                Change(str(label), _shown(field, name, before), _shown(field, name, after), False)
            )
    return shown


def for_service(service: Service):
    """The entries a customer sees for one of their services, newest first: those made
    while the service was theirs (staff may move a service to another customer, whose
    reader must not see the previous owner's people and addresses)."""
    return AuditEntry.objects.filter(
        service_id=service.pk, customer_id=service.customer_id
    ).order_by("-created_at", "-id")


__all__ = ["AuditAction", "AuditMiddleware", "command", "record"]
