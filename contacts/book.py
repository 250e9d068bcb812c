"""The address book's service functions: find, add, change, group and delete a customer's
contacts, name their custom fields and export them.

The panel's pages (panel.addressbook) only parse and render; every rule is here. Each
function takes the customer, or an object of theirs, and never reaches another
customer's rows: a set of contacts is always filtered by its customer again before it is
changed. The bulk operations are one statement each (an ``INSERT … SELECT`` or a
``DELETE … WHERE … IN (SELECT …)``), so "all 100,000 matching the search" costs what ten
do in round trips.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from messaging import numbers

from .models import CUSTOM_FIELDS, Contact, ContactFields, ContactGroup

# What a contact holds besides its number, as the forms and the export name it.
VALUE_FIELDS = ("first_name", "last_name", "email", "note", *CUSTOM_FIELDS)
EXPORT_CHUNK = 2000
DELETE_CHUNK = 5000


class BookError(Exception):
    """A change the address book refuses; the panel says why on the form."""


class InvalidNumber(BookError):
    def __init__(self, raw: str):
        super().__init__(raw)
        self.raw = raw


class NumberTaken(BookError):
    """The number is in the book already, as ``contact``."""

    def __init__(self, contact: Contact):
        super().__init__(contact.number)
        self.contact = contact


class GroupNameTaken(BookError):
    def __init__(self, group: ContactGroup):
        super().__init__(group.name)
        self.group = group


def display_number(number: str) -> str:
    """``48600100200`` as people write it: ``+48 600 100 200``."""
    if len(number) == 11 and number.startswith(numbers.COUNTRY_CODE):
        return f"+48 {number[2:5]} {number[5:8]} {number[8:]}"
    return number


def contact_name(contact: Contact) -> str:
    """The contact's first and last name, or its number when it has no name."""
    name = f"{contact.first_name} {contact.last_name}".strip()
    return name or display_number(contact.number)


# -- finding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """What the list shows: a search (a number in any spelling, or words of a name, an
    e-mail, a note or a custom field) and a group, or the contacts in no group."""

    q: str = ""
    group_id: int | None = None
    without_group: bool = False


_NUMBER_SEPARATORS = re.compile(r"[\s+\-.()/]")


def _number_q(query: str) -> Q | None:
    """The contacts whose number is the one typed (any spelling ``messaging.numbers``
    takes), or holds the digits typed (three or more: a part of a number)."""
    number = numbers.normalise_msisdn(query)
    if number:
        return Q(number=number)
    digits = _NUMBER_SEPARATORS.sub("", query)
    if len(digits) < 3 or not (digits.isascii() and digits.isdigit()):
        return None
    if digits.startswith("00"):
        digits = digits[2:]  # 0048 600…: the international prefix
    elif digits.startswith("0"):
        digits = digits[1:]  # 0 600…: the trunk prefix
    return Q(number__contains=digits) if len(digits) >= 3 else None


_TEXT_FIELDS = ("first_name", "last_name", "email", "note", *CUSTOM_FIELDS)


def _words_q(query: str) -> Q:
    """Every word somewhere among the text fields, or a word of digits in the number:
    "Jan Kowalski", "kowalski jan" and "Jan 600" all find Jan Kowalski of 600 100 200."""
    match = Q()
    for word in query.split():
        any_field = Q()
        for name in _TEXT_FIELDS:
            any_field |= Q(**{f"{name}__icontains": word})
        if (digits := _number_q(word)) is not None:
            any_field |= digits
        match &= any_field
    return match


def search_q(query: str) -> Q:
    """A query of digits and separators only is a number, or a part of one; anything
    else is words."""
    query = query.strip()
    if _NUMBER_SEPARATORS.sub("", query).isdigit():
        by_number = _number_q(query)
        return by_number if by_number is not None else _words_q(query)
    return _words_q(query)


def contacts_of(customer, found: Filter = Filter()) -> QuerySet:
    """The customer's contacts as ``found`` filters them, by name (surname first)."""
    contacts = Contact.objects.filter(customer=customer)
    if found.without_group:
        contacts = contacts.filter(groups=None)
    elif found.group_id is not None:
        contacts = contacts.filter(groups__id=found.group_id)
    if found.q.strip():
        contacts = contacts.filter(search_q(found.q))
    return contacts.order_by("last_name", "first_name", "number", "pk")


def selected(customer, ids: Iterable) -> QuerySet:
    """The customer's contacts among ``ids`` (ids of other customers' contacts, or no
    contact's, select nothing)."""
    clean = [int(i) for i in ids if str(i).isdigit()]
    return Contact.objects.filter(customer=customer, pk__in=clean)


def groups(customer) -> QuerySet:
    """The customer's groups, by name."""
    return ContactGroup.objects.filter(customer=customer).order_by("name")


def groups_of(customer) -> QuerySet:
    """The customer's groups by name, each with ``size``: how many contacts it holds."""
    return groups(customer).annotate(size=Count("contacts"))


# -- adding and changing -----------------------------------------------------------------


def save_contact(
    customer,
    values: dict[str, str],
    *,
    contact: Contact | None = None,
    groups: Iterable[ContactGroup] | None = None,
) -> Contact:
    """Add a contact to ``customer``'s book, or change ``contact`` (theirs): ``values``
    holds ``number`` as typed and any of VALUE_FIELDS; ``groups`` (theirs), when given,
    become its groups. InvalidNumber for a number that is not a Polish mobile one,
    NumberTaken for one the book has as another contact."""
    if contact is not None and contact.customer_id != customer.pk:
        raise ValueError("the contact belongs to another customer")
    groups = list(groups) if groups is not None else None
    if groups and any(group.customer_id != customer.pk for group in groups):
        raise ValueError("a group belongs to another customer")
    number = numbers.normalise_msisdn(values.get("number", ""))
    if number is None:
        raise InvalidNumber(values.get("number", ""))
    _refuse_taken(customer, number, contact)
    if contact is None:
        contact = Contact(customer=customer)
    contact.number = number
    for name in VALUE_FIELDS:
        if name in values:
            setattr(contact, name, (values[name] or "").strip())
    contact.updated_at = timezone.now()
    try:
        with transaction.atomic():
            contact.save()
            if groups is not None:
                contact.groups.set(groups)
    except IntegrityError:
        # Added at the same moment by another request (or an import): the same answer.
        _refuse_taken(customer, number, contact)
        raise
    return contact


def _refuse_taken(customer, number: str, contact: Contact | None) -> None:
    other = Contact.objects.filter(customer=customer, number=number)
    if contact is not None and contact.pk is not None:
        other = other.exclude(pk=contact.pk)
    if found := other.first():
        raise NumberTaken(found)


def delete_contacts(customer, contacts: QuerySet) -> int:
    """Delete ``contacts`` (only ``customer``'s among them), with their places in groups;
    how many went. Through the ORM (whatever else points at a contact is handled as its
    model says), DELETE_CHUNK at a time: a statement holds at most 65,535 parameters."""
    ids = list(
        Contact.objects.filter(customer=customer, pk__in=contacts.values("pk"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    deleted = 0
    with transaction.atomic():
        for start in range(0, len(ids), DELETE_CHUNK):
            _count, by_model = Contact.objects.filter(
                pk__in=ids[start : start + DELETE_CHUNK]
            ).delete()
            deleted += by_model.get(Contact._meta.label, 0)
    return deleted


# -- groups ------------------------------------------------------------------------------


def _refuse_taken_name(customer_id: int, name: str, group: ContactGroup | None) -> None:
    other = ContactGroup.objects.filter(customer_id=customer_id, name__iexact=name)
    if group is not None:
        other = other.exclude(pk=group.pk)
    if found := other.first():
        raise GroupNameTaken(found)


def create_group(customer, name: str) -> ContactGroup:
    name = name.strip()
    _refuse_taken_name(customer.pk, name, None)
    try:
        with transaction.atomic():
            return ContactGroup.objects.create(customer=customer, name=name)
    except IntegrityError:
        _refuse_taken_name(customer.pk, name, None)
        raise


def rename_group(group: ContactGroup, name: str) -> ContactGroup:
    name = name.strip()
    _refuse_taken_name(group.customer_id, name, group)
    group.name = name
    try:
        with transaction.atomic():
            group.save(update_fields=["name"])
    except IntegrityError:
        _refuse_taken_name(group.customer_id, name, group)
        raise
    return group


def delete_group(group: ContactGroup) -> int:
    """Delete the group, not its contacts; how many contacts it held."""
    with transaction.atomic():
        held = group.contacts.count()
        group.delete()
    return held


def _through():
    return Contact.groups.through


def add_to_group(group: ContactGroup, contacts: QuerySet) -> int:
    """Put ``contacts`` (only the group's customer's among them) into ``group``, in one
    ``INSERT … SELECT``; those already in it stay once. How many joined."""
    through = _through()._meta
    ids_sql, params = (
        Contact.objects.filter(customer_id=group.customer_id, pk__in=contacts.values("pk"))
        .order_by()
        .values("pk")
        .query.sql_with_params()
    )
    # ON CONFLICT … DO NOTHING: the same statement on PostgreSQL and SQLite (3.24+); a
    # contact another request put in meanwhile is skipped, not an error.
    sql = (
        f"INSERT INTO {through.db_table} (contact_id, contactgroup_id)"  # noqa: S608 - model names
        f" SELECT id, %s FROM {Contact._meta.db_table} WHERE id IN ({ids_sql})"
        " ON CONFLICT (contact_id, contactgroup_id) DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, (group.pk, *params))
        return cursor.rowcount


def remove_from_group(group: ContactGroup, contacts: QuerySet) -> int:
    """Take ``contacts`` out of ``group`` (they stay in the book), in one ``DELETE``.
    How many left it."""
    mine = Contact.objects.filter(customer_id=group.customer_id, pk__in=contacts.values("pk"))
    with transaction.atomic():
        removed, _by_model = (
            _through()
            .objects.filter(contactgroup_id=group.pk, contact_id__in=mine.values("pk"))
            .delete()
        )
    return removed


# -- custom field names ------------------------------------------------------------------


def field_names(customer) -> dict[str, str]:
    """``{"field1": "Miasto", …}``: the custom fields the customer named, in order."""
    fields = ContactFields.objects.filter(customer=customer).first()
    return fields.names() if fields else {}


def save_field_names(customer, names: dict[str, str]) -> ContactFields:
    """Name (or, blank, leave unused) the five custom fields; ``names`` by ``field1``…"""
    values = {
        f"name{i}": (names.get(field) or "").strip() for i, field in enumerate(CUSTOM_FIELDS, 1)
    }
    fields, _created = ContactFields.objects.update_or_create(customer=customer, defaults=values)
    return fields


def field_label(field: str, names: dict[str, str]) -> str:
    """A custom field as the customer named it, else "Field 1"…"""
    return names.get(field) or str(_("Field %(n)s") % {"n": CUSTOM_FIELDS.index(field) + 1})


# -- export ------------------------------------------------------------------------------

# Headed so that contacts.importer maps each column back when the file is imported.
EXPORT_HEADERS = {
    "number": pgettext_lazy("address book export", "Phone"),
    "first_name": pgettext_lazy("address book export", "First name"),
    "last_name": pgettext_lazy("address book export", "Last name"),
    "email": pgettext_lazy("address book export", "E-mail"),
    "note": pgettext_lazy("address book export", "Note"),
}
GROUPS_HEADER = pgettext_lazy("address book export", "Groups")


def export_header(names: dict[str, str]) -> list[str]:
    """The export's column names in the active language, custom fields as named."""
    return [
        *(str(label) for label in EXPORT_HEADERS.values()),
        *(field_label(field, names) for field in CUSTOM_FIELDS),
        str(GROUPS_HEADER),
    ]


def export_rows(contacts: QuerySet) -> Iterator[list[str]]:
    """One row per contact, under ``export_header``: read EXPORT_CHUNK contacts at a
    time, with one query for each chunk's groups, joined by ", " in name order."""
    columns = ("pk", "number", *VALUE_FIELDS)
    chunk: list[tuple] = []
    for row in contacts.values_list(*columns).iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(row)
        if len(chunk) == EXPORT_CHUNK:
            yield from _with_groups(chunk)
            chunk = []
    if chunk:
        yield from _with_groups(chunk)


def _with_groups(chunk: list[tuple]) -> Iterator[list[str]]:
    memberships: dict[int, list[str]] = {}
    for contact_id, name in (
        _through()
        .objects.filter(contact_id__in=[row[0] for row in chunk])
        .order_by("contactgroup__name")
        .values_list("contact_id", "contactgroup__name")
    ):
        memberships.setdefault(contact_id, []).append(name)
    for pk, *values in chunk:
        yield [*values, ", ".join(memberships.get(pk, ()))]
