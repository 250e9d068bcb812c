"""Asking before a destructive action, in a way that works without JavaScript.

The action's own URL answers a GET (a link or a GET form on the page that offers
the action) with a page saying in plain words what will happen: a red button that
posts ``confirm=yes`` back to the same URL, with the CSRF token, and a link back.
Only that POST acts. A POST without the field (an old page, a replayed form) gets
the question again, never the action.
"""

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

FIELD = "confirm"
YES = "yes"

# The question (GET, HEAD) and the answer (POST); nothing else.
asks_first = require_http_methods(["GET", "HEAD", "POST"])


def confirmed(request) -> bool:
    """True only for a POST that carries the explicit ``confirm=yes``."""
    return request.method == "POST" and request.POST.get(FIELD) == YES


def ask(request, service, *, tab: str, title: str, what: list[str], yes: str, back: str):
    """The confirmation page of ``service``'s ``tab``: ``title`` as the question,
    ``what`` (sentences) as what will happen, ``yes`` on the red button and ``back``
    the address of "No, go back"."""
    return render(
        request,
        "panel/confirm.html",
        {
            "service": service,
            "tab": tab,
            "sms2email": getattr(service, "sms2email", None),
            "title": title,
            "what": what,
            "yes": yes,
            "back": back,
            "field": FIELD,
            "value": YES,
        },
    )
