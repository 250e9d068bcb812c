"""The address book's words in templates: a contact's name and a number as people write it."""

from django import template

from contacts import book

register = template.Library()


@register.filter
def phone(number: str) -> str:
    """``48600100200`` → ``+48 600 100 200``."""
    return book.display_number(number or "")


@register.filter
def contact_name(contact) -> str:
    """First and last name, or the number when the contact has no name."""
    return book.contact_name(contact)
