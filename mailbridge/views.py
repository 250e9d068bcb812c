"""The bridge's public pages: the platform's public PGP key (seed 000 §3.4.1, SPEC §5), and
the page where an address of "Odbiorcy SMS-ów przychodz." confirms it wants the mail."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import pgp, recipients


@require_GET
def public_key(request):
    """``GET /sms2email/key.asc``: no login, for a mail client to import."""
    response = HttpResponse(pgp.public_key(), content_type="application/pgp-keys")
    response["Content-Disposition"] = 'inline; filename="sms2email.asc"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_address(request, token):
    """The link mailed to a new recipient address (mailbridge.recipients). GET shows a
    button and changes nothing (mail scanners open links); POST confirms. No login:
    the person is whoever reads that mailbox."""
    row = recipients.waiting(token)
    if row is not None and request.method == "POST":
        row = recipients.confirm(token)
    context = {"row": row, "service_id": row.settings.service_id if row else None}
    return render(request, "mailbridge/confirm_address.html", context, status=200 if row else 404)
