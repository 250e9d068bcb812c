"""``{% load panel_format %}``: the panel's pages show money and moments through
lib.l10n, the helper its forms, messages and live counter use too, and recipient
statuses in words through ``status``, on every page that shows one."""

from django import template
from django.utils.html import format_html

from lib import l10n
from messaging.choices import Status

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


@register.filter
def status(value, words_only=False):
    """A recipient status in the reader's words, its API name beside it in a small
    ``<code>`` for whoever reads the same status from the API: ``{{ r.status|status }}``
    → Doręczono ``DELIVERED``; ``|status:"words"`` where markup cannot go (an option)."""
    try:
        words = Status(value).label
    except ValueError:
        return value  # not a status: shown as it is, escaped
    if words_only:
        return words
    return format_html(
        '<span class="status status-{}">{}</span> <small><code>{}</code></small>',
        value,
        words,
        value,
    )
