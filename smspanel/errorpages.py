"""The server-error handler (``handler500``): a database that cannot serve is not a bug.

When PostgreSQL restarts, is away or takes no writes, whatever needed it fails with an
error lib.dbstate calls unavailable. The SMS API's views answer that in their wire shape
themselves (SERVICE_UNAVAILABLE, messaging.api.views; SMSC's error 9,
messaging.smsc.views); what fails elsewhere (the panel, admin, a middleware before any
view) reaches this handler, which answers 503 with Retry-After: a page that says to try
again in a moment (503.html, rendered without the request, so nothing on it asks the
database), or, under ``/sms_api/``, the API's SERVICE_UNAVAILABLE. Anything else is
Django's 500.
"""

import json
import logging
import sys

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from lib import dbstate
from messaging.api import errors

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    error = sys.exc_info()[1]
    if error is None or not dbstate.unavailable(error):
        return defaults.server_error(request, template_name)
    logger.warning("%s %s without a database: %s", request.method, request.path, error)
    if request.path.startswith("/sms_api/"):
        unavailable = errors.unavailable()
        response = HttpResponse(
            json.dumps(unavailable.payload()), content_type="application/json", status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_SECONDS)
    return response
