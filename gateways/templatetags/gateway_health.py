from django import template
from django.db import DatabaseError

from ..health import waiting_for_gateway

register = template.Library()


@register.simple_tag
def routes_waiting_for_gateway():
    """Routes no enabled gateway serves, with what waits on each (the admin index banner)."""
    try:
        return waiting_for_gateway()
    except DatabaseError:
        return []
