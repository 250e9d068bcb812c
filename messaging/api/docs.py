"""Content of the API docs page: each endpoint with its fields, errors and examples.

Worded in the reader's language: ``endpoints`` is called per request, under the
language the page is shown in. Wire names (fields, error names, paths) and the code
of the examples stay as they are. The error texts come from ``errors.WIRE_ERRORS``
(the wire's ``error_description``, in English) translated here, so the page and
the wire cannot drift apart.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .errors import ENDPOINT_ERRORS, WIRE_ERRORS


def _auth() -> list[tuple[str, bool, str]]:
    return [
        ("username", True, _("API username (SMS gateway › SMS settings); also Username.")),
        ("password", True, _("API password; also Password. Not the panel password.")),
    ]


@dataclass
class Endpoint:
    name: str
    path: str
    summary: str
    fields: list[tuple[str, bool, str]]
    success: str
    curl: str
    python: str
    errors: list[tuple[str, str, bool]] = field(default_factory=list)

    def __post_init__(self):
        self.errors = [
            (name, _(WIRE_ERRORS[name][0]), WIRE_ERRORS[name][1])
            for name in ENDPOINT_ERRORS[self.name]
        ]


def _python(path: str, fields: str, files: str = "") -> str:
    return (
        "import requests\n\n"
        f"response = requests.post(\n    BASE + {path!r},\n    data={{{fields}}},{files}\n"
        "    timeout=30,\n)\n"
        "answer = response.json()\n"
        'if answer["error"] != "OK":\n'
        '    raise RuntimeError(answer["error"], answer.get("error_from"))\n'
    )


CREDENTIALS = '"username": USERNAME, "password": PASSWORD'


def endpoints(base: str) -> list[Endpoint]:
    creds = "-d username=$SMS_USER -d password=$SMS_PASSWORD"
    rate = settings.INCOMING_RATE_LIMIT
    longest = settings.INCOMING_MAX_TEXT_LENGTH
    from_file = _("recipients from a file, answer in XML")
    return [
        Endpoint(
            name="gateway",
            path="gateway/",
            summary=_("Send one text to one or many Polish mobile numbers."),
            fields=[
                *_auth(),
                (
                    "to_list",
                    False,
                    _("Comma-separated numbers: 9 digits, or 11 starting 48."),
                ),
                ("to_file", False, _("Or: a text file (multipart), one number per line.")),
                ("message", True, _("The text, UTF-8. GSM-7 up to 918 characters, else 402.")),
                ("from", False, _("Empty: standard route. An allowed sender ID: premium.")),
                (
                    "send_datetime",
                    False,
                    _(
                        "Unix time in seconds (a fraction is dropped); past means now; "
                        "up to 3 months ahead."
                    ),
                ),
                ("flash_sms", False, _("1: flash SMS (ignored when the text needs UCS-2).")),
                ("sms_express", False, _("1: priority at 1.5 × price; one recipient only.")),
                (
                    "remove_special_characters",
                    False,
                    _("1: ą→a … then drop non-GSM characters."),
                ),
                ("force", False, _("1: send even when the text draws a content warning.")),
                ("notify_url", False, _("Delivery reports for this message go here.")),
                ("user_flag", False, _("Your own label, returned by getProgress (255 max).")),
            ],
            success="message_id, recipient_count, recipient_list [{number, status}], message_parts",
            curl=f"curl {base}gateway/ {creds} \\\n"
            "  -d to_list=48505666333,888222444 --data-urlencode 'message=Dzień dobry!'\n\n"
            f"# {from_file}\n"
            f"curl {base}gateway/xml/ -F username=$SMS_USER -F password=$SMS_PASSWORD \\\n"
            "  -F to_file=@numbers.txt -F 'message=Hello world!'",
            python=_python(
                "gateway/",
                CREDENTIALS + ', "message": "Dzień dobry!"',
                '\n    files={"to_file": open("numbers.txt", "rb")},',
            ),
        ),
        Endpoint(
            name="getProgress",
            path="getProgress/<message_id>/",
            summary=_("The statuses of a message's recipients."),
            fields=_auth(),
            # Wire names only: shown as code, like the statuses a reader may meet raw.
            success=format_html(
                "<code>message_id, recipient_count, recipient_list [{{number, status}}], "
                "success_count (DELIVERED), failure_count (REJECTED, EXPIRED, REMOTE_ERROR), "
                "user_flag, message_parts</code> {} {}",
                _(
                    "Extension: archived, a list naming what data retention archived (text, "
                    "numbers), present only then; archived numbers are masked (48******123)."
                ),
                _(
                    "Extension: recipient_texts [{number, text, message_parts}], only for a "
                    "personalised send (SMSC send.php list=): the recipients whose text is "
                    "their own; the others got the message's text."
                ),
            ),
            curl=f"curl {base}getProgress/1000/ {creds}",
            python=_python("getProgress/1000/", CREDENTIALS),
        ),
        Endpoint(
            name="cancelSms",
            path="cancelSms",
            summary=_("Cancel the recipients not yet handed to a gateway; they are refunded."),
            fields=[*_auth(), ("message_id", True, _("The id gateway/ returned."))],
            success=_("message_id, cancelled_count (extension: how many were cancelled now)"),
            curl=f"curl {base}cancelSms {creds} -d message_id=1000",
            python=_python("cancelSms", CREDENTIALS + ', "message_id": 1000'),
        ),
        Endpoint(
            name="validateContent",
            path="validateContent",
            summary=_("Whether operators may block a text (free; sends nothing)."),
            fields=[*_auth(), ("message", True, _("The text to check."))],
            success=_("may_be_invalid (true or false)"),
            curl=f"curl {base}validateContent {creds} --data-urlencode 'message=Promocja!'",
            python=_python("validateContent", CREDENTIALS + ', "message": "Promocja!"'),
        ),
        Endpoint(
            name="incoming",
            path="incoming/<sms_hash>/",
            summary=_("Store an SMS received for a two-way service (SMS hash: SMS settings).")
            + " "
            + ngettext(
                "At most %(n)d call a second per service.",
                "At most %(n)d calls a second per service.",
                rate,
            )
            % {"n": rate},
            fields=[
                ("from_number", True, _("Who sent the SMS (32 characters at most).")),
                ("to_number", True, _("Your number or GSM gateway alias (32 at most).")),
                (
                    "sms_message",
                    True,
                    ngettext(
                        "The text, UTF-8, %(n)d character at most; also message.",
                        "The text, UTF-8, %(n)d characters at most; also message.",
                        longest,
                    )
                    % {"n": longest},
                ),
                (
                    "sms_date",
                    False,
                    _(
                        "Unix time received, default now; also received_at. A time before "
                        "1970 or after now (a wrong clock) is taken as now."
                    ),
                ),
            ],
            success="—",
            curl=f"curl {base}incoming/$SMS_HASH/ -d from_number=48111222333 \\\n"
            "  -d to_number=48444555666 --data-urlencode 'sms_message=Test' -d sms_date=1353825932",
            python=(
                "import requests\n\n"
                "requests.post(\n"
                '    BASE + "incoming/" + SMS_HASH + "/",\n'
                '    data={"from_number": "48111222333", "to_number": "48444555666",\n'
                '          "sms_message": "Test", "sms_date": 1353825932},\n'
                "    timeout=30,\n"
                ").raise_for_status()\n"
            ),
        ),
    ]
