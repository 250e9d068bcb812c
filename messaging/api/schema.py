"""OpenAPI description of the SMS API (drf-spectacular). Descriptive only: the views
parse requests themselves, so that wire errors stay exactly the seed's."""

import copy

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers

from .errors import ENDPOINT_ERRORS, WIRE_ERRORS

FLAG = {"min_value": 0, "max_value": 1, "required": False, "default": 0}


def _errors(endpoint: str) -> str:
    lines = []
    for name in ENDPOINT_ERRORS[endpoint]:
        description, extension = WIRE_ERRORS[name]
        lines.append(f"- `{name}`{' (extension)' if extension else ''}: {description}")
    return "Business outcomes are HTTP 200; `error` is `OK` or one of:\n\n" + "\n".join(lines)


class Credentials(serializers.Serializer):
    username = serializers.CharField(help_text="API username (also accepted as Username).")
    password = serializers.CharField(help_text="API password (also accepted as Password).")


class GatewayRequest(Credentials):
    to_list = serializers.CharField(
        required=False, help_text="Comma-separated Polish mobile numbers."
    )
    to_file = serializers.CharField(
        required=False, help_text="Numbers, one a line (instead of to_list)."
    )
    message = serializers.CharField(help_text="UTF-8 text; up to 6 parts.")
    # "from" is a Python keyword: declared below.
    send_datetime = serializers.IntegerField(
        required=False,
        help_text="Unix time in seconds (a decimal fraction is dropped); past means now; "
        "at most 3 months ahead.",
    )
    flash_sms = serializers.IntegerField(**FLAG)
    sms_express = serializers.IntegerField(
        **FLAG, help_text="Priority at 1.5 × price; ignored for more than one recipient."
    )
    remove_special_characters = serializers.IntegerField(**FLAG)
    force = serializers.IntegerField(**FLAG, help_text="Send despite MESSAGE_CONTENT_WARNING.")
    notify_url = serializers.URLField(required=False, help_text="Delivery reports go here.")
    user_flag = serializers.CharField(required=False, max_length=255)


GatewayRequest._declared_fields["from"] = serializers.CharField(
    required=False, help_text="Empty: standard route. A sender ID of the service: premium route."
)


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """A file in a multipart body (drf-spectacular writes a FileField as a URI)."""


class GatewayUpload(GatewayRequest):
    to_file = UploadField(
        required=False, help_text="Text file, one number per line (instead of to_list)."
    )


class RecipientStatus(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()


class ErrorFields(serializers.Serializer):
    error = serializers.CharField()
    error_from = serializers.CharField(required=False)
    error_description = serializers.CharField(required=False)
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    service_state = serializers.IntegerField(required=False)
    retry_after = serializers.IntegerField(required=False)


class GatewayResponse(ErrorFields):
    message_id = serializers.IntegerField(required=False)
    recipient_count = serializers.IntegerField(required=False)
    recipient_list = RecipientStatus(many=True, required=False)
    message_parts = serializers.IntegerField(required=False)


class OwnText(serializers.Serializer):
    number = serializers.CharField()
    text = serializers.CharField()
    message_parts = serializers.IntegerField()


class ProgressResponse(GatewayResponse):
    success_count = serializers.IntegerField(required=False)
    failure_count = serializers.IntegerField(required=False)
    user_flag = serializers.CharField(required=False)
    archived = serializers.ListField(
        child=serializers.ChoiceField(["text", "numbers"]),
        required=False,
        help_text="Extension: what data retention archived; numbers are then masked.",
    )
    recipient_texts = OwnText(
        many=True,
        required=False,
        help_text="Extension, only for a personalised send (SMSC send.php list=): the "
        "recipients whose text is their own, with its parts; the others got the message's.",
    )


class CancelRequest(Credentials):
    message_id = serializers.IntegerField()


class CancelResponse(ErrorFields):
    message_id = serializers.IntegerField(required=False)
    cancelled_count = serializers.IntegerField(required=False)


class ValidateRequest(Credentials):
    message = serializers.CharField()


class ValidateResponse(ErrorFields):
    may_be_invalid = serializers.BooleanField(required=False)


class IncomingRequest(serializers.Serializer):
    from_number = serializers.CharField(max_length=32)
    to_number = serializers.CharField(max_length=32, help_text="Your number or GSM gateway alias.")
    sms_message = serializers.CharField(
        max_length=settings.INCOMING_MAX_TEXT_LENGTH, help_text="Also accepted as message."
    )
    sms_date = serializers.IntegerField(
        required=False,
        help_text="Unix time received (default now); also received_at. Before 1970 or "
        "after now is taken as now.",
    )


# Bodies in UTF-8; ISO-8859-2 and Windows-1250 are read when the charset names them.
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _endpoint(name: str, summary: str, request, response, upload=None, path=None, path_type=str):
    """The endpoint's POST (a form body) and GET (the same fields in the query string),
    both documented: seed 001 takes either."""
    path_parameters = [OpenApiParameter(path, path_type, OpenApiParameter.PATH)] if path else []
    return extend_schema_view(
        post=extend_schema(
            operation_id=name,
            summary=summary,
            description=_errors(name),
            parameters=path_parameters,
            request={FORM: request, MULTIPART: upload or request},
            responses={200: response, 503: ErrorFields},
        ),
        get=extend_schema(
            operation_id=f"{name}_get",
            summary=summary + " (GET: the fields in the query string)",
            description=_errors(name),
            parameters=[*path_parameters, request],
            request=None,
            responses={200: response, 503: ErrorFields},
        ),
    )


gateway = _endpoint(
    "gateway",
    "Send an SMS to one or many numbers",
    GatewayRequest,
    GatewayResponse,
    upload=GatewayUpload,
)
progress = _endpoint(
    "getProgress",
    "Statuses of a message's recipients",
    Credentials,
    ProgressResponse,
    path="message_id",
    path_type=int,
)
cancel = _endpoint(
    "cancelSms",
    "Cancel the recipients not yet sent, and refund them",
    CancelRequest,
    CancelResponse,
)
validate_content = _endpoint(
    "validateContent", "Check whether operators may block a text", ValidateRequest, ValidateResponse
)
incoming = _endpoint(
    "incoming",
    f"Store an SMS received for a two-way service (at most {settings.INCOMING_RATE_LIMIT} "
    "a second per service)",
    IncomingRequest,
    ErrorFields,
    path="sms_hash",
)


def only_canonical_paths(endpoints, **kwargs):
    """Document each endpoint once: the ``json/``/``xml/`` variants are added by
    ``wire_answers``, ``send/`` is an alias of ``gateway/``, and getProgress takes the id
    in the path."""
    return [
        endpoint
        for endpoint in endpoints
        if "{format}" not in endpoint[0]
        and not endpoint[0].startswith("/sms_api/send/")
        and endpoint[0] != "/sms_api/getProgress/"
    ]


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait: with TOO_MANY_FAILED_LOGINS, TOO_MANY_REQUESTS "
        "and SERVICE_UNAVAILABLE (also retry_after in the body).",
        "schema": {"type": "integer", "minimum": 0},
    }
}


# Answered by the web server (gunicorn's --limit-request-line, 4094 bytes by default),
# before the API sees the request.
URI_TOO_LONG = {
    "description": "The request line is longer than the web server takes: send long "
    "fields (a long message or recipient list) by POST.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def _answer(schema: dict, endpoint: str, media: str, status: str) -> dict:
    """An answer's body: the endpoint's errors as ``error``'s values, and in XML the
    object as ``<root>`` (a list is its element repeated, OpenAPI's unwrapped array)."""
    names = ["SERVICE_UNAVAILABLE"] if status == "503" else ["OK", *ENDPOINT_ERRORS[endpoint]]
    body = {"allOf": [schema, {"properties": {"error": {"enum": names}}}]}
    if media == "application/xml":
        body["xml"] = {"name": "root"}
    return body


def wire_answers(result, generator, request, public):
    """What each path answers, as it answers it: JSON at the endpoint and at its
    ``json/``, XML at its ``xml/`` (the format is the URL's, never Accept); the errors
    each endpoint can give; Retry-After. A postprocessing hook of drf-spectacular."""
    paths = {}
    for path, item in result["paths"].items():
        for suffix, media in (("", "application/json"), ("xml/", "application/xml")):
            variant = {}
            for method, operation in item.items():
                endpoint = operation["operationId"].removesuffix("_get")
                operation = copy.deepcopy(operation)
                if suffix:
                    operation["operationId"] += "_xml"
                    operation["summary"] += ", answered in XML"
                for status, response in operation["responses"].items():
                    schema = response["content"]["application/json"]["schema"]
                    response["content"] = {
                        media: {"schema": _answer(schema, endpoint, media, status)}
                    }
                    response["headers"] = RETRY_AFTER
                    response["description"] = (
                        "The database did not answer: SERVICE_UNAVAILABLE"
                        if status == "503"
                        else "OK, or the error (`error`) of a business outcome"
                    )
                if method == "get":
                    operation["responses"]["414"] = URI_TOO_LONG
                variant[method] = operation
            paths[path + suffix] = variant
    result["paths"] = paths
    return result
