"""``{% load panel_format %}``: the panel's pages show money and moments through
lib.l10n, the helper its forms, messages and live counter use too."""

from django import template

from lib import l10n

register = template.Library()


@register.filter
def money(value, places=2):
    """``{{ service.balance|money }}`` → 1 234,56 zł; ``|money:4`` for prices per SMS."""
    if value is None or value == "":
        return ""
    return l10n.money(value, int(places))


@register.filter
def moment(value, precision=""):
    """``{{ message.created_at|moment }}`` → 07.12.2026 05:37; ``|moment:"seconds"``
    where events seconds apart must read apart (callback attempts, statuses)."""
    if not value:
        return ""
    return l10n.moment(value, seconds=precision == "seconds")
