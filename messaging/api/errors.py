"""Every wire error of the SMS API, and the one table from pipeline errors to wire names.

Names are the seed's (seed 001 §3–§7), spelling included (``INVALID_DATE_TME``).
Four are this platform's extensions, marked as such in the API docs.
"""

from django.utils.translation import gettext_noop

from lib import classtable
from messaging import services

# name → (description, extension?). The description goes out as
# ``error_description`` as written (English, whatever the caller's language) and
# into the docs page translated (messaging.api.docs).
WIRE_ERRORS: dict[str, tuple[str, bool]] = {
    "UNAUTHORISED_IP_ADDRESS": (
        gettext_noop(
            "The request came from an address that is not on the service's allowlist "
            "(Bramka SMS › Integracja (API) › Adresy IP). An empty list refuses every call."
        ),
        False,
    ),
    "LOGIN_INCORRECT": (
        gettext_noop(
            "Wrong API username or password. They are not the panel login; a regenerated "
            "API password replaces the old one at once."
        ),
        False,
    ),
    "TOO_MANY_FAILED_LOGINS": (
        gettext_noop(
            "Too many failed logins (or unknown SMS hashes) from this address (an IPv6 "
            "address counts as its /64), or for this username from anywhere. Until the time "
            "in retry_after (seconds, also the Retry-After header) has passed, only the right "
            "credentials from an address on the service's allowlist get in; every other "
            "request gets this answer, whatever its password."
        ),
        True,
    ),
    "TOO_MANY_REQUESTS": (
        gettext_noop(
            "More calls a second for this service than the platform takes; this one was not "
            "stored. Send it again after retry_after seconds (also the Retry-After header)."
        ),
        True,
    ),
    "SERVICE_UNAVAILABLE": (
        gettext_noop(
            "The platform's database did not answer (a restart or maintenance); the call "
            "was not completed. Send it again after retry_after seconds (also the "
            "Retry-After header). Answered with HTTP 503."
        ),
        True,
    ),
    "MISSING_FIELDS": (
        gettext_noop("Required fields are missing; they are listed in fields."),
        False,
    ),
    "MISSING_RECIPIENT_DATA": (gettext_noop("Give the recipients in to_list or to_file."), False),
    "RECIPIENT_LIST_IS_EMPTY": (
        gettext_noop("No valid Polish mobile number was left after the list was read."),
        False,
    ),
    "RECIPIENT_DATA_CONFLICT": (gettext_noop("Send to_list or to_file, not both."), False),
    "ERROR_SAVING_UPLOADED_FILE": (
        gettext_noop(
            "The uploaded recipient file could not be read: it is larger than the limit "
            "or the request body was malformed."
        ),
        False,
    ),
    # Flagged by the content rules (seed 001 §8e).
    "MESSAGE_CONTENT_WARNING": (
        gettext_noop(
            "The text may be blocked by operators. Send again with force=1 to send it at "
            "your own risk."
        ),
        False,
    ),
    "SENDER_ID_NOT_REGISTERED": (
        gettext_noop(
            "The from value is not a sender ID of this service (Nazwy nadawcy in the panel)."
        ),
        False,
    ),
    "SENDER_ID_NOT_VERIFIED": (
        gettext_noop("The sender ID is still awaiting moderation or has been disabled."),
        False,
    ),
    "INVALID_DATE_TME": (
        gettext_noop(
            "send_datetime (or sms_date) is not a Unix timestamp: whole seconds in ASCII "
            "digits, optionally signed; a decimal fraction is dropped, exponents are refused."
        ),
        False,
    ),
    "DATE_SET_TOO_FAR_INTO_FUTURE": (
        gettext_noop("A send can be scheduled at most 3 months ahead (any larger number too)."),
        False,
    ),
    "MESSAGE_TOO_LONG": (
        gettext_noop(
            "The text needs more parts than the route allows (6 at most: 918 GSM-7 or "
            "402 UCS-2 characters)."
        ),
        False,
    ),
    "INSUFFICIENT_FUNDS": (
        gettext_noop(
            "The balance plus the credit limit does not cover this send; nothing was charged."
        ),
        False,
    ),
    "SERVICE_NOT_ACTIVE": (
        gettext_noop(
            "The service may not send now; service_state gives its code: 101 not yet "
            "activated, 102 in debt, 103 suspended, 104 deactivated, 105 blocked by you "
            "(unblock it in the panel), 106 blocked by staff."
        ),
        True,
    ),
    "INVALID_FIELD": (
        gettext_noop(
            "A field has a value the API cannot use, or the body a charset it does not read "
            "(error_from Content-Type: send UTF-8, ISO-8859-2 or Windows-1250); error_from "
            "names it and error_description says why."
        ),
        True,
    ),
    "MESSAGE_ID_NOT_FOUND": (
        gettext_noop("No message with this message_id belongs to this service."),
        False,
    ),
    "MISSING_MESSAGE_CONTENT": (gettext_noop("Give the text to check in message."), False),
    "INVALID_HASH": (
        gettext_noop("The SMS hash in the URL is not the current hash of a two-way service."),
        False,
    ),
    "MISSING_SMS_FIELDS": (
        gettext_noop(
            "from_number, to_number and sms_message are required; the missing ones are "
            "listed in fields."
        ),
        False,
    ),
}

AUTH_ERRORS = ("UNAUTHORISED_IP_ADDRESS", "LOGIN_INCORRECT", "TOO_MANY_FAILED_LOGINS")
# The errors each endpoint can answer (seed 001 §3–§7 plus the extensions),
# for the OpenAPI description and the docs page.
ENDPOINT_ERRORS: dict[str, tuple[str, ...]] = {
    "gateway": (
        *AUTH_ERRORS,
        "MISSING_FIELDS",
        "MISSING_RECIPIENT_DATA",
        "RECIPIENT_LIST_IS_EMPTY",
        "RECIPIENT_DATA_CONFLICT",
        "ERROR_SAVING_UPLOADED_FILE",
        "MESSAGE_CONTENT_WARNING",
        "SENDER_ID_NOT_REGISTERED",
        "SENDER_ID_NOT_VERIFIED",
        "INVALID_DATE_TME",
        "DATE_SET_TOO_FAR_INTO_FUTURE",
        "MESSAGE_TOO_LONG",
        "INSUFFICIENT_FUNDS",
        "SERVICE_NOT_ACTIVE",
        "INVALID_FIELD",
    ),
    "getProgress": (*AUTH_ERRORS, "MISSING_FIELDS", "MESSAGE_ID_NOT_FOUND", "INVALID_FIELD"),
    "cancelSms": (*AUTH_ERRORS, "MISSING_FIELDS", "MESSAGE_ID_NOT_FOUND", "INVALID_FIELD"),
    "validateContent": (
        *AUTH_ERRORS,
        "MISSING_FIELDS",
        "MISSING_MESSAGE_CONTENT",
        "INVALID_FIELD",
    ),
    "incoming": (
        "INVALID_HASH",
        "UNAUTHORISED_IP_ADDRESS",
        "MISSING_SMS_FIELDS",
        "INVALID_DATE_TME",
        "TOO_MANY_FAILED_LOGINS",
        "TOO_MANY_REQUESTS",
        "INVALID_FIELD",
    ),
}

# Any call may meet the database away.
ENDPOINT_ERRORS = {name: (*found, "SERVICE_UNAVAILABLE") for name, found in ENDPOINT_ERRORS.items()}


class ApiError(Exception):
    """A business outcome other than OK: answered with HTTP 200 (503 for
    SERVICE_UNAVAILABLE) and ``error``."""

    def __init__(self, name: str, error_from: str | None = None, detail: str = "", **extra):
        if name not in WIRE_ERRORS:
            raise KeyError(f"{name} is not in WIRE_ERRORS")
        super().__init__(name)
        self.name = name
        self.status = 503 if name == "SERVICE_UNAVAILABLE" else 200
        self.error_from = error_from
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}

    def payload(self) -> dict:
        body: dict = {"error": self.name}
        if self.error_from:
            body["error_from"] = self.error_from
        body.update(self.extra)
        description = WIRE_ERRORS[self.name][0]
        body["error_description"] = f"{description} {self.detail}".strip()
        return body


# Pipeline errors → wire names (SPEC §4). The field at fault comes from the error.
# Read by class, nearest ancestor first (lib.classtable): a refusal added later
# and not named here gets its ancestor's name (INVALID_FIELD at worst), never
# an HTTP 500; tests/messaging/api/test_refusals.py fails until it is named.
_FROM_PIPELINE: dict[type[services.SendError], str] = {
    services.SendError: "INVALID_FIELD",
    services.RecipientListEmpty: "RECIPIENT_LIST_IS_EMPTY",
    # Stopped numbers are left out as invalid ones are; none left is an empty list.
    services.AllStopped: "RECIPIENT_LIST_IS_EMPTY",
    services.TooManyRecipients: "INVALID_FIELD",
    services.EmptyText: "MISSING_FIELDS",
    services.MessageTooLong: "MESSAGE_TOO_LONG",
    services.ContentWarning: "MESSAGE_CONTENT_WARNING",
    services.SenderNotRegistered: "SENDER_ID_NOT_REGISTERED",
    services.SenderNotVerified: "SENDER_ID_NOT_VERIFIED",
    services.ScheduleTooFar: "DATE_SET_TOO_FAR_INTO_FUTURE",
    services.InvalidNotifyUrl: "INVALID_FIELD",
    services.InvalidUserFlag: "INVALID_FIELD",
    services.InsufficientFunds: "INSUFFICIENT_FUNDS",
    services.ServiceRefused: "SERVICE_NOT_ACTIVE",
    services.MessageNotFound: "MESSAGE_ID_NOT_FOUND",
    # A delete (status.php del=1) of a message not yet final: no Telecube call
    # deletes, but any endpoint it reached answered HTTP 500.
    services.MessageInFlight: "INVALID_FIELD",
    services.IncomingTooLong: "INVALID_FIELD",
}


def from_pipeline(exc: services.SendError, field_names: dict[str, str] | None = None) -> ApiError:
    """The wire error for a pipeline error; ``field_names`` renames fields (to_list → to_file)."""
    name = classtable.lookup(_FROM_PIPELINE, exc)
    error_from = exc.field
    if field_names and error_from in field_names:
        error_from = field_names[error_from]
    extra = {}
    if name == "MISSING_FIELDS":
        extra["fields"] = [error_from]
    if isinstance(exc, services.ServiceRefused):
        extra["service_state"] = exc.state
        error_from = None
    if isinstance(exc, services.InsufficientFunds):
        error_from = None
    return ApiError(name, error_from, exc.detail, **extra)


# How long a caller is asked to wait when the database did not answer.
UNAVAILABLE_RETRY_SECONDS = 5


def unavailable() -> ApiError:
    """SERVICE_UNAVAILABLE, with its retry hint in the body and the Retry-After header."""
    error = ApiError("SERVICE_UNAVAILABLE", retry_after=UNAVAILABLE_RETRY_SECONDS)
    error.headers["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return error
