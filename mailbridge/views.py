"""The bridge's one page: the platform's public PGP key (seed 000 §3.4.1, SPEC §5)."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from . import pgp


@require_GET
def public_key(request):
    """``GET /sms2email/key.asc``: no login, for a mail client to import."""
    response = HttpResponse(pgp.public_key(), content_type="application/pgp-keys")
    response["Content-Disposition"] = 'inline; filename="sms2email.asc"'
    return response
