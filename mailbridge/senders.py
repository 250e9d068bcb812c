"""Autoryzowani nadawcy SMS: which service a mail's sender sends for (seed 000 §3.6).

An entry is an exact address or a whole domain (the part after ``@``). An
exact address beats its domain. Entries are unique across services (the
panel refuses one another service claims), so a sender routes to one service.
A whole public mail domain (``FREE_MAIL_DOMAINS``: gmail.com, wp.pl…) is
refused as an entry: it would let millions of strangers send, and be answered,
in the service's name; its addresses may be listed one by one.
"""

import functools
import re

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Service

from .models import AuthorisedSender, Sms2EmailSettings

_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
_ADDRESS = re.compile(rf"^[a-z0-9!#$%&'*+/=?^_`{{|}}~.-]{{1,64}}@{_DOMAIN}$")
_DOMAIN_ONLY = re.compile(rf"^{_DOMAIN}$")
# fmt: off
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.pl", "icloud.com", "me.com", "aol.com", "proton.me",
    "protonmail.com", "gmx.com", "gmx.net", "gmx.de", "mail.com", "yandex.ru", "mail.ru",
    "wp.pl", "o2.pl", "tlen.pl", "go2.pl", "onet.pl", "onet.eu", "op.pl", "vp.pl",
    "poczta.onet.pl", "interia.pl", "interia.eu", "poczta.fm", "gazeta.pl", "int.pl",
    "autograf.pl", "buziaczek.pl", "spoko.pl",
})
# fmt: on


def normalise_address(address: str) -> str:
    """The address as entries are kept: trimmed, lower case, without <>."""
    return (address or "").strip().strip("<>").strip().lower()


def split_addresses(text: str) -> list[str]:
    """Addresses separated by commas or semicolons, normalised, each once."""
    found = []
    for raw in (text or "").replace(";", ",").split(","):
        address = normalise_address(raw)
        if address and address not in found:
            found.append(address)
    return found


def listed(address: str, entries) -> bool:
    """Whether ``address`` matches an entry: itself, or its whole domain (no subdomains)."""
    address = normalise_address(address)
    if "@" not in address:
        return False
    wanted = {entry.strip().lower().removeprefix("@") for entry in entries}
    return address in wanted or address.rpartition("@")[2] in wanted


def parse_entries(text: str) -> list[str]:
    """Entries from the settings field, lower case; ValidationError names a malformed one."""
    entries = []
    for raw in re.split(r"[,;\s]+", text or ""):
        entry = raw.strip().lower()
        if entry.startswith("@"):
            entry = entry[1:]
        if not entry:
            continue
        if not (_ADDRESS.match(entry) or _DOMAIN_ONLY.match(entry)):
            raise ValidationError(
                _("“%(entry)s” is neither an e-mail address nor a domain such as firma.pl.")
                % {"entry": raw.strip()}
            )
        if entry in FREE_MAIL_DOMAINS:
            raise ValidationError(
                _(
                    "%(entry)s is a public mail service: anyone with an address there could "
                    "send in your name. List your addresses there one by one instead."
                )
                % {"entry": entry}
            )
        if entry not in entries:
            entries.append(entry)
    return entries


def check_entries(settings: Sms2EmailSettings, text: str) -> list[str]:
    """The entries of ``text``; ValidationError for a malformed one or one another
    service already claims (forms call this in their clean)."""
    entries = parse_entries(text)
    others = AuthorisedSender.objects.filter(entry__in=entries)
    if settings.pk is not None:
        others = others.exclude(settings=settings)
    taken = sorted(others.values_list("entry", flat=True))
    if taken:
        raise ValidationError(
            _("%(entries)s already sends for another service; remove it there first.")
            % {"entries": ", ".join(taken)}
        )
    return entries


def set_authorised(settings: Sms2EmailSettings, text: str) -> list[str]:
    """Store the entries of ``text`` for ``settings``; refuse one another service claims.

    The unique entry column settles two services saving the same entry at once.
    """
    with transaction.atomic():
        entries = check_entries(settings, text)
        AuthorisedSender.objects.filter(settings=settings).exclude(entry__in=entries).delete()
        known = set(
            AuthorisedSender.objects.filter(settings=settings).values_list("entry", flat=True)
        )
        AuthorisedSender.objects.bulk_create(
            [AuthorisedSender(settings=settings, entry=e) for e in entries if e not in known]
        )
        settings.authorised_senders = ", ".join(entries)
        Sms2EmailSettings.objects.filter(pk=settings.pk).update(
            authorised_senders=settings.authorised_senders
        )
    return entries


def settings_for(address: str) -> Sms2EmailSettings | None:
    """The settings of the service ``address`` may send for (its ``service`` loaded):
    exact address first, then domain.

    Every mail asks, once or twice: one statement, written out once per process
    (``_settings_sql``), as building the ORM's join cost three times its round trip.
    """
    address = normalise_address(address)
    if "@" not in address:
        return None
    domain = address.rpartition("@")[2]
    with connection.cursor() as cursor:
        cursor.execute(_settings_sql(), [address, domain])
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    values = found.get(address) or found.get(domain)
    if values is None:
        return None
    split = len(_fields(Sms2EmailSettings))
    chosen = _instance(Sms2EmailSettings, values[:split])
    chosen.service = _instance(Service, values[split:])
    return chosen


def _fields(model) -> list:
    return list(model._meta.concrete_fields)


def _instance(model, values):
    """A ``model`` instance from its columns as the database gave them, converted as
    the ORM converts them (SQLite's booleans, decimals and dates)."""
    converted = []
    for value, (col, converters) in zip(values, _converters(model), strict=True):
        for convert in converters:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in _fields(model)], converted)


@functools.cache
def _converters(model) -> list:
    found = []
    for field in _fields(model):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        found.append((col, converters))
    return found


@functools.cache
def _settings_sql() -> str:
    """The entry, the settings' columns and their service's, for an address and a domain."""
    quote = connection.ops.quote_name

    def columns(alias, model):
        return ", ".join(f"{alias}.{quote(f.column)}" for f in _fields(model))

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    return f"""
        SELECT a.{column(AuthorisedSender, "entry")}, {columns("s", Sms2EmailSettings)},
               {columns("v", Service)}
        FROM {quote(AuthorisedSender._meta.db_table)} a
        JOIN {quote(Sms2EmailSettings._meta.db_table)} s
          ON s.{column(Sms2EmailSettings, "id")} = a.{column(AuthorisedSender, "settings")}
        JOIN {quote(Service._meta.db_table)} v
          ON v.{column(Service, "id")} = s.{column(Sms2EmailSettings, "service")}
        WHERE a.{column(AuthorisedSender, "entry")} IN (%s, %s)
    """  # noqa: S608 - only the models' own table and column names are written in
