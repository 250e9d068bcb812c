"""Our statuses and refusals in SMSC's codes: one table each, read by the endpoints.

Status codes (seed 003, "Status codes") and error codes in the status
("Error codes in the status"). SMSC has no "cancelled": a recipient cancelled
before it left is "Stopped" (-2), as SMSC shows a paused mailing. Our
gateway driver for SMSC upstreams reads these back as the same statuses
(``gateways.drivers.smsc.map_status``), which the two-instance test relies on.

| ours          | status | err | status_name                  |
|---------------|--------|-----|------------------------------|
| PENDING       | -1     | 0   | Waiting send                 |
| ON_HOLD       | -2     | 0   | Stopped (until funds return) |
| CANCELLED     | -2     | 0   | Stopped                      |
| QUEUED        | 0      | 0   | Transferred to the operator  |
| DELIVERED     | 1      | 0   | Delivered                    |
| EXPIRED       | 3      | 0   | Expired                      |
| REMOTE_ERROR  | 20     | 255 | Unable to deliver            |
| REJECTED      | 25     | 255 | Unavailable number           |
| (not found)   | -3     |     | Message not found            |
"""

from accounts.choices import ServiceState
from lib import classtable
from messaging import services
from messaging.choices import Status

from . import wire

NOT_FOUND = -3

STATUS_CODES: dict[str, tuple[int, int]] = {
    Status.PENDING: (-1, 0),
    Status.ON_HOLD: (-2, 0),
    Status.CANCELLED: (-2, 0),
    Status.QUEUED: (0, 0),
    Status.DELIVERED: (1, 0),
    Status.EXPIRED: (3, 0),
    Status.REMOTE_ERROR: (20, 255),
    Status.REJECTED: (25, 255),
}

STATUS_NAMES = {
    -3: "Message not found",
    -2: "Stopped",
    -1: "Waiting send",
    0: "Transferred to the operator",
    1: "Delivered",
    3: "Expired",
    20: "Unable to deliver",
    25: "Unavailable number",
}

# Error answers: the code and the short description SMSC's server prints.
PARAMETERS = wire.PARAMETERS  # wire.py answers a field it cannot read with it too
AUTHORISE = (2, "authorise error")
IP_BLOCKED = (4, "IP blocked")
TOO_MANY = (9, "duplicate request, wait a minute")
# The database did not answer: the code SMSC's clients read as "wait, then send again".
UNAVAILABLE = (9, "service temporarily unavailable, try again later")

DELETE_ERROR = (5, "delete error")

SENDER_ERRORS = {
    "not_found": (3, "sender not found"),
    "not_saved": (5, "save or delete error"),
    "number": (7, "invalid number format"),
    "undeliverable": (8, "code cannot be delivered to this number"),
    "too_many": (9, "duplicate request, wait a minute"),
    "code_sent": (10, "code already sent, retry after 8 hours"),
    "wrong_code": (11, "wrong code"),
}

# send.php: SMSC's send error codes for the pipeline's refusals.
#   1 parameters   2 login   3 no money   4 IP blocked   5 date format
#   6 message denied (its text, its sender, its length, the service)
#   7 invalid number   8 cannot be delivered   9 too many requests
# Read by class, nearest ancestor first (lib.classtable): a refusal added later
# and not named here is error 1 (SendError's entry), never an HTTP 500;
# tests/messaging/smsc/test_refusals.py fails until it is named.
NO_MONEY = (3, "no money")
DATE_FORMAT = (5, "invalid date format")
DENIED = (6, "message denied")
SEND_ERRORS: dict[type[services.SendError], tuple[int, str]] = {
    services.SendError: PARAMETERS,
    services.RecipientListEmpty: (7, "invalid number"),
    # SMSC's own answer for a number on the stoplist: it cannot be delivered to.
    services.AllStopped: (8, "cannot be delivered"),
    services.TooManyRecipients: PARAMETERS,
    services.EmptyText: PARAMETERS,
    services.MessageTooLong: DENIED,
    services.ContentWarning: DENIED,
    services.SenderNotRegistered: DENIED,
    services.SenderNotVerified: DENIED,
    services.ScheduleTooFar: DATE_FORMAT,
    services.InsufficientFunds: NO_MONEY,
    # A service that may not send: "denied", or "no money" when in debt (send_error).
    services.ServiceRefused: DENIED,
    services.InvalidNotifyUrl: PARAMETERS,
    services.InvalidUserFlag: PARAMETERS,
    # Not refusals of a send; named so that none is left to the last resort unseen.
    services.MessageNotFound: PARAMETERS,
    services.MessageInFlight: PARAMETERS,
    services.IncomingTooLong: PARAMETERS,
}


def send_error(exc: services.SendError) -> tuple[int, str]:
    if isinstance(exc, services.ServiceRefused) and exc.state == ServiceState.IN_DEBT:
        return NO_MONEY
    return classtable.lookup(SEND_ERRORS, exc)
