"""Odbiorcy SMS-ów przychodz. (seed 000 §3.3): who gets a service's incoming SMS, and
its delivery reports when "Raporty z wysyłki do odbiorców" is on.

The customer types the addresses; the platform mails each new one a link, and
mails it nothing else until the link is followed (``confirm``). Without that,
the list made the platform a free mail relay: any text sent to the service's
number (or to ``incoming/<sms_hash>/``) went to any address the customer chose.
So:

- at most ``MAX_ADDRESSES`` addresses;
- an address gets the link when it is added, and again when the customer asks,
  at most ``ASKS_PER_DAY`` times a day whichever services ask (a removed and
  re-added address counts on), a service sends at most ``LINKS_PER_DAY`` links a
  day, and a link works for ``LINK_DAYS`` days (the counts are kept in the
  cache: share it between web processes, as for the login limits);
- the link opens a page with a button (mail scanners open links; only a person
  presses the button);
- each confirmed address is mailed on its own (mailbridge.outbound), never in a
  shared ``To:``, and every mail counts against the service's hourly limit.

The sender of a mailed request gets its reports without confirming
(mailbridge.reports): that address wrote to us.
"""

import contextlib
import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Customer
from lib import throttle
from lib.emails import render_email

from . import outbound
from .models import OutboundKind, RecipientAddress, Sms2EmailSettings
from .senders import split_addresses

MAX_ADDRESSES = 10
ASKS_PER_DAY = 3
LINKS_PER_DAY = 30
LINK_DAYS = 7
DAY = 24 * 3600

# The confirmation page's address for a token: made by the caller, who knows the site.
LinkFor = Callable[[str], str]


class TooManyAsks(Exception):
    """The address was sent a link ``ASKS_PER_DAY`` times today already, or the service
    sent ``LINKS_PER_DAY`` links."""


def link_for(request) -> LinkFor:
    """Links to the confirmation page on the site ``request`` reached."""
    return lambda token: request.build_absolute_uri(
        reverse("mailbridge:confirm_address", args=[token])
    )


def check_addresses(text: str) -> list[str]:
    """The addresses of ``text`` (commas or semicolons), normalised; ValidationError
    names one that is not an address, or says there are too many (forms call this)."""
    addresses = split_addresses(text)
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("“%(address)s” is not a valid e-mail address.") % {"address": address},
                code="invalid",
            ) from None
    if len(addresses) > MAX_ADDRESSES:
        raise ValidationError(
            _("At most %(limit)d addresses; you gave %(count)d.")
            % {"limit": MAX_ADDRESSES, "count": len(addresses)},
            code="too_many",
        )
    return addresses


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def set_addresses(settings_row: Sms2EmailSettings, addresses: list[str], link_for: LinkFor):
    """Keep ``addresses`` (normalised, at most MAX_ADDRESSES) as the list: the ones
    removed are forgotten, confirmed or not; each new one is sent its link."""
    if len(addresses) > MAX_ADDRESSES:
        raise ValueError(f"at most {MAX_ADDRESSES} addresses")
    with transaction.atomic():
        kept = RecipientAddress.objects.filter(settings=settings_row)
        kept.exclude(address__in=addresses).delete()
        known = set(kept.values_list("address", flat=True))
        for address in addresses:
            if address not in known:
                row = RecipientAddress.objects.create(settings=settings_row, address=address)
                # Asked too often today (removed and added again): listed, waiting, and the
                # customer may ask again tomorrow.
                with contextlib.suppress(TooManyAsks):
                    _ask(row, link_for)
        settings_row.incoming_recipients = ", ".join(addresses)
        Sms2EmailSettings.objects.filter(pk=settings_row.pk).update(
            incoming_recipients=settings_row.incoming_recipients
        )


def ask_again(row: RecipientAddress, link_for: LinkFor) -> None:
    """Send an unconfirmed address its link again (a new one: the old one stops working)."""
    if row.confirmed_at is None:
        _ask(row, link_for)


def _ask(row: RecipientAddress, link_for: LinkFor) -> None:
    address_key = throttle.cache_key("count", "sms2email-ask", row.address)
    service_key = throttle.cache_key("count", "sms2email-links", str(row.settings_id))
    if throttle.count(address_key, DAY) > ASKS_PER_DAY:
        raise TooManyAsks(row.address)
    if throttle.count(service_key, DAY) > LINKS_PER_DAY:
        raise TooManyAsks(row.address)
    token = secrets.token_urlsafe(32)
    row.token_digest = _digest(token)
    row.asked_at = timezone.now()
    row.save(update_fields=["token_digest", "asked_at"])
    service_id = row.settings.service_id
    # Only the platform's words and the service's number: nothing a customer typed
    # (templates/emails/confirm_address*.txt).
    context = {
        "address": row.address,
        "service_id": service_id,
        "link": link_for(token),
        "days": LINK_DAYS,
    }
    # In the language the customer chose in the panel: the people they list are most
    # likely to read it too; both languages until they choose.
    language = Customer.objects.filter(services=service_id).values_list("language", flat=True)
    subject, body = render_email("confirm_address", context, language.first() or None)
    outbound.queue(service_id, OutboundKind.CONFIRMATION, row.address, subject, body)


def waiting(token: str) -> RecipientAddress | None:
    """The address a link is for, if the link still works (confirmed ones included)."""
    if not token:
        return None
    row = (
        RecipientAddress.objects.select_related("settings")
        .filter(token_digest=_digest(token))
        .first()
    )
    if row is None:
        return None
    if row.confirmed_at is None and row.asked_at < timezone.now() - timedelta(days=LINK_DAYS):
        return None
    return row


def confirm(token: str) -> RecipientAddress | None:
    """Confirm the address of a link; None when the link is unknown or expired."""
    with transaction.atomic():
        row = waiting(token)
        if row is not None and row.confirmed_at is None:
            row.confirmed_at = timezone.now()
            row.save(update_fields=["confirmed_at"])
    return row
