"""OpenAPI description of the SMSC-compatible endpoints (``/sys/schema/``), written by
hand: they parse their own fields and answer in SMSC's formats, which no serializer
describes. What each answer holds is ``wire.py``'s, shape for shape:

- ``fmt`` 0 and 1 (and any request whose fmt cannot be read): text/plain;
- ``fmt`` 2: text/xml, each root element an alternative (``xml.name``);
- ``fmt`` 3: application/json.

Errors are answered in the same formats and always with HTTP 200 (seeds 003, 004).
OpenAPI cannot tie a media type to a field's value, so each answer lists its three
media types and the description says which fmt gives which.
"""

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from . import wire
from .views import MAX_KEY_LENGTH

TEXT, XML, JSON = "text/plain", "text/xml", "application/json"
INTEGER = {"type": "integer"}
STRING = {"type": "string"}
# A price or balance as SMSC prints it: at least two decimals ("12.50", "0.0825").
MONEY = {"type": "string", "pattern": r"^-?\d+\.\d{2,4}$"}
FLAG = {"type": "integer", "enum": [0, 1], "default": 0}


def _parameter(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "schema": schema, "description": description, "required": required}


COMMON = [
    _parameter("login", STRING, "The service's API username.", required=True),
    _parameter("psw", STRING, "The API password, or its MD5 in lowercase hex.", required=True),
    _parameter(
        "fmt",
        {"type": "integer", "enum": list(wire.FORMATS), "default": 0},
        "Answer format: 0 text, 1 numbers separated by commas, 2 XML, 3 JSON. Any other "
        "value is error 1, answered in fmt 0.",
    ),
    _parameter(
        "charset",
        {"type": "string", "enum": [*wire.CHARSETS, "utf8", "cp1251", "koi8r", "koi8_r"]},
        "The charset the fields are read in and the answer written in (windows-1251 by "
        "default). Any other is error 1.",
    ),
]


def _text(description: str, *patterns: str) -> dict:
    """fmt 0 and 1: text, one of ``patterns``, or an error."""
    shapes = [{"type": "string", "pattern": pattern} for pattern in patterns]
    return {
        "description": description,
        "anyOf": [
            *shapes,
            {"type": "string", "pattern": r"^ERROR = \d+ \([^()]*\)(, ID - [\s\S]*)?$"},
            {"type": "string", "pattern": r"^[\s\S]*,-\d+$"},
        ],
    }


def _object(xml_name: str | None, properties: dict, required=(), **extra) -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(required or properties),
        "additionalProperties": False,
        **extra,
    }
    if xml_name:
        schema["xml"] = {"name": xml_name}
    return schema


ID = {"oneOf": [INTEGER, STRING], "description": "send.php: the client's id, repeated."}
ERROR_JSON = _object(
    None, {"error": STRING, "error_code": INTEGER, "id": ID}, required=("error", "error_code")
)
ERROR_XML = _object(
    "result",
    {"error": STRING, "error_code": INTEGER, "id": STRING},
    required=("error", "error_code"),
)
DONE_JSON = _object(None, {"result": {"type": "string", "enum": ["OK"]}})
DONE_XML = {"type": "string", "enum": ["OK"], "xml": {"name": "result"}}


def _answer(text: dict, xml: list[dict], json: list[dict]) -> dict:
    return {
        "description": "HTTP 200, errors too: fmt 0 and 1 text/plain, fmt 2 text/xml, "
        "fmt 3 application/json, in the charset asked (Content-Type names it).",
        "content": {
            TEXT: {"schema": text},
            XML: {"schema": {"oneOf": [*xml, ERROR_XML]}},
            JSON: {"schema": {"oneOf": [*json, ERROR_JSON]}},
        },
    }


# -- status.php (seed 003) ------------------------------------------------------------

DATE = {"type": "string", "pattern": r"^(\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2})?$"}
STATUS_FIELDS = {
    "status": {"type": "integer", "enum": [-3, -2, -1, 0, 1, 3, 20, 25]},
    "last_date": DATE,
    "last_timestamp": INTEGER,
    "flag": INTEGER,
    "err": INTEGER,
    "send_date": DATE,
    "send_timestamp": INTEGER,
    "phone": STRING,
    "cost": MONEY,
    "sender_id": STRING,
    "status_name": STRING,
    "message": STRING,
    "comment": STRING,
    "mccmnc": STRING,
    "country": STRING,
    "operator": STRING,
    "operator_orig": STRING,
    "region": STRING,
    "type": INTEGER,
    "sms_cnt": INTEGER,
    "id": {"oneOf": [INTEGER, STRING], "description": "A mass request: the id asked."},
}
# ``all`` adds fields; a status -3 (not found) has its status alone (and in a mass
# request the id and phone asked).
STATUS = _object(
    "sms", STATUS_FIELDS, required=("status",), description="One SMS's status (all=0, 1, 2)."
)
STATUS_LIST = {
    "type": "object",
    "xml": {"name": "list"},
    "properties": {"sms": {"type": "array", "items": STATUS}},
    "required": ["sms"],
    "additionalProperties": False,
}
STATUS_PATH = {
    "summary": "The status of one SMS or many (id and phone lists), or del=1 to delete",
    "parameters": [
        _parameter(
            "id",
            STRING,
            "Our message id, or a comma-separated list (a trailing comma keeps the list "
            "form for one).",
            required=True,
        ),
        _parameter("phone", STRING, "The recipient, or a list in the order of id.", required=True),
        _parameter(
            "all", {"type": "integer", "enum": [0, 1, 2], "default": 0}, "1, 2: more fields."
        ),
        _parameter(
            "del",
            FLAG,
            "1: delete the SMS each (id, phone) names, all or none (error 5).",
        ),
    ],
    "answer": _answer(
        _text(
            "fmt 0: `Status = <status>, check_time = <date>, err = <err>…` a line per SMS; "
            "fmt 1: `<status>,<timestamp>,<err>…`; del=1: `OK`.",
            r"^Status = -?\d+(, [\s\S]*)?$",
            r"^-?\d+,\d+,\d+(,[\s\S]*)?$",
            r"^-3(,[\s\S]*)?$",
            r"^OK$",
        ),
        xml=[STATUS, STATUS_LIST, DONE_XML],
        json=[
            {k: v for k, v in STATUS.items() if k != "xml"},
            {"type": "array", "items": {k: v for k, v in STATUS.items() if k != "xml"}},
            DONE_JSON,
        ],
    ),
}

# -- senders.php (seed 004) -----------------------------------------------------------------

# seed 004's operator columns (operators=1), in its order: wire names, as
# accounts.models.SENDER_OPERATORS stores them (tests/messaging/smsc/test_schema.py).
SENDER_OPERATORS = (
    "mega",
    "mts",
    "mega_step",
    "bee_step",
    "motiv_step",
    "mts_step",
    "tele2_step",
    "tele2",
    "ua_reg",
    "ua_int",
)
OPERATOR_STATUS = {"type": "integer", "minimum": 0, "maximum": 6}
SENDER_XML = _object(
    "sender",
    {
        "name": {"type": "string", "xml": {"x-text": True}},
        "status": {**INTEGER, "xml": {"attribute": True}},
        **{op: {**OPERATOR_STATUS, "xml": {"attribute": True}} for op in SENDER_OPERATORS},
    },
    required=("name",),
)
SENDERS_XML = {
    "type": "object",
    "xml": {"name": "list"},
    "properties": {"sender": {"type": "array", "items": SENDER_XML}},
    "required": ["sender"],
    "additionalProperties": False,
}
SENDER_JSON = _object(
    None,
    {
        "sender": STRING,
        "status": INTEGER,
        **{op: {"type": "string", "pattern": "^[0-6]$"} for op in SENDER_OPERATORS},
    },
    required=("sender",),
)
SENDER_ADDED_XML = _object("sender", {"id": INTEGER})
SENDER_ADDED_JSON = _object(None, {"sender": INTEGER})
SENDERS_PATH = {
    "summary": "Sender names: list, add, change, delete, confirm a number by code",
    "parameters": [
        *(
            _parameter(name, FLAG, description)
            for name, description in (
                (
                    "get",
                    "1: list the names (exactly one of get, add, chg, del, send_code, "
                    "check_code is 1; else error 1).",
                ),
                ("add", "1: add `sender` (with `cmt`), pending moderation."),
                ("chg", "1: change the comment of `sender` or `id`."),
                ("del", "1: delete `sender` or `id`."),
                ("send_code", "1: send a confirmation code to the number `sender` (charged)."),
                ("check_code", "1: confirm the number `sender` with `code`."),
            )
        ),
        _parameter("sender", STRING, "The name (or number)."),
        _parameter("id", STRING, "The name's id, instead of `sender`."),
        _parameter("cmt", STRING, "A comment."),
        _parameter("code", STRING, "check_code: the code received."),
        _parameter("all", FLAG, "get: every name with its status, not only allowed ones."),
        _parameter("operators", FLAG, "get: the status at each of seed 004's operators."),
    ],
    "answer": _answer(
        _text(
            "get, fmt 0: `name = <name>[, status = <n>]` a line per name (nothing when "
            "none); fmt 1: `<name>[,<status>]`; add: `ID = <id>` or `<id>`; others: `OK`.",
            r"^$",
            r"^name = [\s\S]*$",
            r"^ID = \d+$",
            r"^OK$",
            r"^[^\n]+(\n[^\n]+)*$",
        ),
        xml=[SENDERS_XML, SENDER_ADDED_XML, DONE_XML],
        json=[{"type": "array", "items": SENDER_JSON}, SENDER_ADDED_JSON, DONE_JSON],
    ),
}

# -- send.php -----------------------------------------------------------------------------

SENT = {"id": INTEGER, "cnt": INTEGER, "cost": MONEY, "balance": MONEY}
PRICED = {"cost": MONEY, "cnt": INTEGER}
SEND_PATH = {
    "summary": "Send one text to a list of numbers; cost=1 prices it only",
    "parameters": [
        _parameter("phones", STRING, "Numbers separated by commas or semicolons.", True),
        _parameter("mes", STRING, "The text.", required=True),
        _parameter("sender", STRING, "A sender name of the service; empty: standard route."),
        _parameter("flash", FLAG, "1: a flash SMS."),
        _parameter("translit", STRING, "Not 0: Polish letters lose their diacritics."),
        _parameter(
            "time",
            STRING,
            "When: `DDMMYYhhmm`, `DD.MM.YY hh:mm`, `0<unix time>`, `+<minutes>`, "
            "`h1-h2` (Europe/Warsaw); anything else is error 1.",
        ),
        _parameter(
            "cost",
            {"type": "integer", "enum": [0, 1, 2, 3], "default": 0},
            "1: price only, nothing sent; 2: add the cost; 3: add cost and balance.",
        ),
        _parameter(
            "id",
            {"type": "string", "maxLength": MAX_KEY_LENGTH},
            "The client's id: the same id within 24 hours gets the first answer (0: none).",
        ),
    ],
    "answer": _answer(
        _text(
            "fmt 0: `OK - <cnt> SMS, ID - <id>[, COST - <cost>][, BALANCE - <balance>]`, "
            "cost=1: `<cost> (<cnt> SMS)`; fmt 1: `<id>,<cnt>[,<cost>][,<balance>]`, "
            "cost=1: `<cost>,<cnt>`.",
            r"^OK - \d+ SMS, ID - \d+(, COST - -?\d+\.\d+)?(, BALANCE - -?\d*\.?\d*)?$",
            r"^-?\d+\.\d+ \(\d+ SMS\)$",
            r"^\d+,\d+(,-?\d+\.\d+)?(,-?\d*\.?\d*)?$",
            r"^-?\d+\.\d+,\d+$",
        ),
        xml=[
            _object("result", SENT, required=("id", "cnt")),
            _object("result", PRICED),
        ],
        json=[_object(None, SENT, required=("id", "cnt")), _object(None, PRICED)],
    ),
}

# -- balance.php ----------------------------------------------------------------------------

BALANCE = {"balance": MONEY, "credit": MONEY, "currency": {"type": "string", "enum": ["PLN"]}}
BALANCE_PATH = {
    "summary": "The balance (fmt 2 and 3: with the credit limit and currency)",
    "parameters": [],
    "answer": _answer(
        _text("fmt 0 and 1: the balance alone.", r"^-?\d+\.\d{2,4}$"),
        xml=[_object("balance", BALANCE)],
        json=[_object(None, BALANCE)],
    ),
}

PATHS = {
    "status.php": STATUS_PATH,
    "senders.php": SENDERS_PATH,
    "send.php": SEND_PATH,
    "balance.php": BALANCE_PATH,
}
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _operations(name: str, path: dict) -> dict:
    """GET with the fields in the query string, POST with them in a form body."""
    parameters = COMMON + path["parameters"]
    form = {
        "type": "object",
        "properties": {
            p["name"]: {**p["schema"], "description": p["description"]} for p in parameters
        },
        "required": [p["name"] for p in parameters if p["required"]],
    }
    base = name.removesuffix(".php")
    common = {"summary": path["summary"], "responses": {"200": path["answer"]}}
    return {
        "get": {
            **common,
            "operationId": f"{base}_get",
            "parameters": [{**p, "in": "query"} for p in parameters],
        },
        "post": {
            **common,
            "operationId": base,
            "requestBody": {
                "required": True,
                "content": {media: {"schema": form} for media in FORMS},
            },
        },
    }


def document(prefix: str = "/sys/") -> dict:
    """The OpenAPI 3.0 document, its paths under ``prefix``."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "SMSC-compatible API",
            "version": "1.0",
            "description": "SMSC's status.php and senders.php (seeds 003 and 004), send.php "
            "and balance.php as SMSC's clients use them. Fields come in the query string "
            "(GET) or a form body (POST); the answer's format is the `fmt` field's.",
        },
        "paths": {prefix + name: _operations(name, path) for name, path in PATHS.items()},
    }


@require_GET
def view(request):
    return JsonResponse(document(), json_dumps_params={"ensure_ascii": False, "indent": 1})
