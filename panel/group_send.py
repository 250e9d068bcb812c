"""The send form's "To a group": a personalised send to one of the customer's contact
groups (README "Personalised sends").

A group send is a personalised send: one text per contact, filled from the text typed
(``contacts.personalise``), through the same ``submit_once`` as any other send. It
takes no typed numbers as well (the form refuses both at once): a typed number has no
contact's values to fill the fields with, and one send is one list either way.

Here: the group choices (the customer's own, with their contact counts: another
customer's id is not a choice, so the form refuses it), the fields the text may use
(by the customer's own names), the counter's words for a range of texts, and the
refusals in words that speak of the group.
"""

import re

from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Service
from contacts import personalise
from contacts.models import CUSTOM_FIELDS, ContactFields, ContactGroup
from lib import l10n
from messaging import services

# The send form's button that shows the counter and the preview and sends nothing (a
# page read without JavaScript; the live counter takes its place otherwise).
RECOUNT = "recount"

# The number ``services`` names in an empty text's refusal ("the message to 48… is empty").
_NUMBER = re.compile(r"\bto (\d+)")

BOTH = gettext_lazy(
    "Send either to a group or to the numbers typed, not both: empty the recipients "
    "(and the file) or choose “no group”."
)


def groups(service: Service) -> list[tuple[int, str, int]]:
    """(id, name, contacts) of each group of the service's customer, in one query."""
    rows = (
        ContactGroup.objects.filter(customer_id=service.customer_id)
        .annotate(size=Count("contacts"))
        .order_by("name", "pk")
        .values_list("pk", "name", "size")
    )
    return list(rows)


def choices(found: list[tuple[int, str, int]]) -> list[tuple[str, str]]:
    listed = [("", _("— no group: the numbers typed above —"))]
    for pk, name, size in found:
        counted = ngettext("%(n)s contact", "%(n)s contacts", size) % {"n": size}
        listed.append((str(pk), f"{name} ({counted})"))
    return listed


def placeholders(service: Service) -> list[tuple[str, str]]:
    """The fields a text may use, as the reader's language spells them ({imie} in
    Polish, {first_name} in English: both always work), each with what it holds (a
    custom field by the customer's own name for it)."""
    polish = (translation.get_language() or "").startswith("pl")
    fields = ContactFields.objects.filter(customer_id=service.customer_id).first()
    names = fields.names() if fields is not None else {}
    listed = [
        ("{imie}" if polish else "{first_name}", _("first name")),
        ("{nazwisko}" if polish else "{last_name}", _("last name")),
    ]
    for i, field in enumerate(CUSTOM_FIELDS, 1):
        spelt = f"{{pole{i}}}" if polish else f"{{field{i}}}"
        listed.append((spelt, names.get(field) or _("field %(n)s") % {"n": i}))
    return listed


def build(
    service: Service, group_id: int, template: str, *, skip_missing: bool, **send_fields
) -> personalise.GroupSend:
    """The group's send; a group gone since the form was read is an empty one."""
    try:
        return personalise.group_send(
            service.pk, group_id, template, skip_missing=skip_missing, **send_fields
        )
    except personalise.GroupNotFound:
        empty = services.SendRequest(recipients=[], text=template, texts=[], **send_fields)
        return personalise.GroupSend(empty, 0, 0)


def size_words(estimate: services.Estimate) -> str:
    """ "12–45 characters · 1–2 parts of at most 6": the shortest and longest texts."""
    low, high = estimate.shortest, estimate.longest
    if low == high:
        chars = ngettext("%(n)s character", "%(n)s characters", high) % {"n": high}
    else:
        chars = ngettext("%(low)s–%(n)s character", "%(low)s–%(n)s characters", high) % {
            "low": low,
            "n": high,
        }
    low, high = estimate.parts_min, estimate.parts_max
    parts = {"parts": high, "max": estimate.max_parts, "low": low}
    if low == high:
        parts_words = (
            ngettext(
                "%(parts)s part of at most %(max)s", "%(parts)s parts of at most %(max)s", high
            )
            % parts
        )
    else:
        parts_words = (
            ngettext(
                "%(low)s–%(parts)s part of at most %(max)s",
                "%(low)s–%(parts)s parts of at most %(max)s",
                high,
            )
            % parts
        )
    return " · ".join([chars, parts_words])


def recipient_words(estimate: services.Estimate, built: personalise.GroupSend) -> str:
    """ "3 recipients from the group, 1 skipped (no value for a field the text uses), 1 on
    the STOP list"."""
    valid = estimate.numbers
    words = ngettext("%(n)s recipient from the group", "%(n)s recipients from the group", valid) % {
        "n": valid
    }
    if built.skipped:
        words += ", " + ngettext(
            "%(n)s skipped (no value for a field the text uses)",
            "%(n)s skipped (no value for a field the text uses)",
            built.skipped,
        ) % {"n": built.skipped}
    if estimate.stopped:
        words += ", " + ngettext(
            "%(n)s on the STOP list", "%(n)s on the STOP list", estimate.stopped
        ) % {"n": estimate.stopped}
    return words


def refusal(
    exc: services.SendError, built: personalise.GroupSend, group_name: str
) -> tuple[str | None, str] | None:
    """The words for a refusal of a group send that differ from a typed send's; None
    where the send form's own words fit."""
    if isinstance(exc, services.AllStopped):
        return "group", _(
            "Every contact of the group is on the STOP list (they opted out): nothing was sent."
        )
    if isinstance(exc, services.RecipientListEmpty):
        if built.contacts == 0:
            return "group", _(
                "The group “%(name)s” has no contacts: add some or choose another group."
            ) % {"name": group_name}
        return "skip_missing", _(
            "Every contact of the group lacks a value for a field the text uses, so all "
            "were skipped: fill in their fields or untick “Skip contacts without a value”."
        )
    whose = _NUMBER.search(exc.detail or "")
    # An empty text for one contact, the text typed not being empty (then: "type it").
    if isinstance(exc, services.EmptyText) and whose and built.request.text.strip():
        return "text", _(
            "The text to %(number)s is empty (the fields it uses have no value for that "
            "contact): add some words, or tick “Skip contacts without a value”."
        ) % {"number": whose.group(1)}
    if isinstance(exc, services.MessageTooLong) and exc.number:
        return "text", _(
            "The text to %(number)s takes %(parts)s parts and this sender sends at most "
            "%(max)s: shorten it."
        ) % {"number": exc.number, "parts": exc.parts, "max": exc.max_parts}
    if isinstance(exc, services.InsufficientFunds):
        # The exact sum of every recipient's price, as the counter shows it.
        return None, _(
            "This message costs %(needed)s and the service has %(available)s "
            "available: top up or send to fewer recipients."
        ) % {"needed": l10n.money(exc.needed, 4), "available": l10n.money(exc.available)}
    return None
