"""Content of the API docs page: each endpoint with its fields, errors and examples.

The error texts come from ``errors.WIRE_ERRORS``, so the page and the wire
cannot drift apart.
"""

from dataclasses import dataclass, field

from django.conf import settings

from .errors import ENDPOINT_ERRORS, WIRE_ERRORS

AUTH = [
    ("username", True, "API username (Bramka SMS › Ustawienia SMS); also Username."),
    ("password", True, "API password; also Password. Not the panel password."),
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
        self.errors = [(name, *WIRE_ERRORS[name]) for name in ENDPOINT_ERRORS[self.name]]


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
    return [
        Endpoint(
            name="gateway",
            path="gateway/",
            summary="Send one text to one or many Polish mobile numbers.",
            fields=[
                *AUTH,
                ("to_list", False, "Comma-separated numbers: 9 digits, or 11 starting 48."),
                ("to_file", False, "Or: a text file (multipart), one number per line."),
                ("message", True, "The text, UTF-8. GSM-7 up to 918 characters, else 402."),
                ("from", False, "Empty: standard route. An allowed sender ID: premium."),
                (
                    "send_datetime",
                    False,
                    "Unix time in seconds (a fraction is dropped); past means now; "
                    "up to 3 months ahead.",
                ),
                ("flash_sms", False, "1: flash SMS (ignored when the text needs UCS-2)."),
                ("sms_express", False, "1: priority at 1.5 × price; one recipient only."),
                ("remove_special_characters", False, "1: ą→a … then drop non-GSM characters."),
                ("force", False, "1: send even when the text draws a content warning."),
                ("notify_url", False, "Delivery reports for this message go here."),
                ("user_flag", False, "Your own label, returned by getProgress (255 max)."),
            ],
            success="message_id, recipient_count, recipient_list [{number, status}], message_parts",
            curl=f"curl {base}gateway/ {creds} \\\n"
            "  -d to_list=48505666333,888222444 --data-urlencode 'message=Dzień dobry!'\n\n"
            "# recipients from a file, answer in XML\n"
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
            summary="The statuses of a message's recipients.",
            fields=AUTH,
            success="message_id, recipient_count, recipient_list [{number, status}], "
            "success_count (DELIVERED), failure_count (REJECTED, EXPIRED, REMOTE_ERROR), "
            "user_flag, message_parts",
            curl=f"curl {base}getProgress/1000/ {creds}",
            python=_python("getProgress/1000/", CREDENTIALS),
        ),
        Endpoint(
            name="cancelSms",
            path="cancelSms",
            summary="Cancel the recipients not yet handed to a gateway; they are refunded.",
            fields=[*AUTH, ("message_id", True, "The id gateway/ returned.")],
            success="message_id, cancelled_count (extension: how many were cancelled now)",
            curl=f"curl {base}cancelSms {creds} -d message_id=1000",
            python=_python("cancelSms", CREDENTIALS + ', "message_id": 1000'),
        ),
        Endpoint(
            name="validateContent",
            path="validateContent",
            summary="Whether operators may block a text (free; sends nothing).",
            fields=[*AUTH, ("message", True, "The text to check.")],
            success="may_be_invalid (true or false)",
            curl=f"curl {base}validateContent {creds} --data-urlencode 'message=Promocja!'",
            python=_python("validateContent", CREDENTIALS + ', "message": "Promocja!"'),
        ),
        Endpoint(
            name="incoming",
            path="incoming/<sms_hash>/",
            summary="Store an SMS received for a two-way service (SMS hash: Ustawienia SMS). "
            f"At most {settings.INCOMING_RATE_LIMIT} calls a second per service.",
            fields=[
                ("from_number", True, "Who sent the SMS (32 characters at most)."),
                ("to_number", True, "Your number or GSM gateway alias (32 at most)."),
                (
                    "sms_message",
                    True,
                    f"The text, UTF-8, {settings.INCOMING_MAX_TEXT_LENGTH} characters at most; "
                    "also message.",
                ),
                (
                    "sms_date",
                    False,
                    "Unix time received, default now; also received_at. A time before 1970 "
                    "or after now (a wrong clock) is taken as now.",
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
