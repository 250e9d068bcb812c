"""The send form's "Insert template" list: the signed-in customer's message templates."""

from django import template

from panel.message_templates import of_user

register = template.Library()


@register.simple_tag(takes_context=True)
def message_templates(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return list(of_user(request.user))
