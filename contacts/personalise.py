"""Personalised sends to a group of contacts: a template filled per contact, and the
``SendRequest`` that carries one text per recipient through the one send pipeline.

``fill`` is pure: the fields ``{imie}``, ``{nazwisko}``, ``{pole1}``…``{pole5}`` and
their English spellings ``{first_name}``, ``{last_name}``, ``{field1}``…``{field5}``
(both always work, in any case) take the contact's value; a missing value is "" unless
the customer chose to skip contacts without it (then ``fill`` answers None); anything
else in braces is left as typed. ``group_send`` and ``estimate_group`` read the
group's contacts in one query and hand the texts to ``messaging.services``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from messaging import services

from .models import Contact, ContactGroup

# Each placeholder's spellings → the contact's attribute it reads.
FIELDS = {
    "imie": "first_name",
    "imię": "first_name",
    "first_name": "first_name",
    "nazwisko": "last_name",
    "last_name": "last_name",
    **{f"pole{i}": f"field{i}" for i in range(1, 6)},
    **{f"field{i}": f"field{i}" for i in range(1, 6)},
}
ATTRIBUTES = tuple(dict.fromkeys(FIELDS.values()))
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")
PREVIEW_TEXTS = 5


@dataclass(frozen=True)
class Template:
    """A template split once into literal text and the attributes to fill in."""

    pieces: tuple[str | tuple[str], ...]  # a str is literal; (attribute,) a field
    used: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> "Template":
        pieces: list[str | tuple[str]] = []
        last = 0
        for match in _PLACEHOLDER.finditer(text):
            attribute = FIELDS.get(match.group(1).lower())
            if attribute is None:
                continue  # an unknown {…} stays as typed
            pieces += [text[last : match.start()], (attribute,)]
            last = match.end()
        pieces.append(text[last:])
        used = frozenset(p[0] for p in pieces if isinstance(p, tuple))
        return cls(tuple(p for p in pieces if p != ""), used)

    def fill(self, values: Mapping[str, str], skip_missing: bool = False) -> str | None:
        if skip_missing and any(not (values.get(a) or "").strip() for a in self.used):
            return None
        return "".join(p if isinstance(p, str) else (values.get(p[0]) or "") for p in self.pieces)


def fill(template: str, values: Mapping[str, str], skip_missing: bool = False) -> str | None:
    """``template`` with the contact's ``values`` (by attribute: first_name, field1…) in
    its fields; None when ``skip_missing`` and a field it uses has no value."""
    return Template.parse(template).fill(values, skip_missing)


class GroupNotFound(LookupError):
    """Not a group of the service's customer (another customer's is reported the same).
    Not a refusal of the send pipeline: no door but the panel's group send meets it."""


@dataclass
class GroupSend:
    request: services.SendRequest
    contacts: int  # in the group
    skipped: int  # left out: a field the template uses was empty ("skip contacts without it")
    preview: list[str] = field(default_factory=list)  # the first personalised texts


def group_send(
    service_id: int, group_id: int, template: str, *, skip_missing: bool = False, **send_fields
) -> GroupSend:
    """The ``SendRequest`` for every contact of the customer's group: one text each,
    filled from ``template``; ``send_fields`` are the request's other fields (sender,
    send_at, flash, force, remove_special_characters, source…). One query for the group
    and one for its contacts, however many."""
    customer_id = (
        ContactGroup.objects.filter(pk=group_id, customer__services__pk=service_id).values_list(
            "customer_id", flat=True
        )
    ).first()
    if customer_id is None:
        raise GroupNotFound("no such group")
    parsed = Template.parse(template)
    rows = (
        Contact.objects.filter(customer_id=customer_id, groups__pk=group_id)
        .order_by("id")
        .values_list("number", *ATTRIBUTES)
    )
    numbers, texts, skipped, count = [], [], 0, 0
    for number, *values in rows.iterator(chunk_size=5000):
        count += 1
        text = parsed.fill(dict(zip(ATTRIBUTES, values, strict=True)), skip_missing)
        if text is None:
            skipped += 1
            continue
        numbers.append(number)
        texts.append(text)
    request = services.SendRequest(recipients=numbers, text=template, texts=texts, **send_fields)
    return GroupSend(request, count, skipped, texts[:PREVIEW_TEXTS])


@dataclass
class GroupEstimate:
    """The send form's counter for a group send: ``estimate``'s figures (shortest…longest
    characters, parts_min…parts_max, the exact total price, ``problem``), how many
    contacts are skipped, and the first personalised texts."""

    estimate: services.Estimate
    contacts: int
    skipped: int
    preview: list[str]


def estimate_group(
    service_id: int, group_id: int, template: str, *, skip_missing: bool = False, **send_fields
) -> GroupEstimate:
    """What ``group_send`` would cost now, with nothing written."""
    built = group_send(service_id, group_id, template, skip_missing=skip_missing, **send_fields)
    priced = services.estimate(service_id, built.request)
    return GroupEstimate(priced, built.contacts, built.skipped, built.preview)
