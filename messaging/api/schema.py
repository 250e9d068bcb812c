"""OpenAPI description of the SMS API (drf-spectacular). Descriptive only: the views
parse requests themselves, so that wire errors stay exactly the seed's."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
    to_file = serializers.FileField(
        required=False, help_text="Text file, one number per line (multipart)."
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


class ProgressResponse(GatewayResponse):
    success_count = serializers.IntegerField(required=False)
    failure_count = serializers.IntegerField(required=False)
    user_flag = serializers.CharField(required=False)
    archived = serializers.ListField(
        child=serializers.ChoiceField(["text", "numbers"]),
        required=False,
        help_text="Extension: what data retention archived; numbers are then masked.",
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
FORMS = ["application/x-www-form-urlencoded", "multipart/form-data"]

gateway = extend_schema(
    operation_id="gateway",
    summary="Send an SMS to one or many numbers",
    description=_errors("gateway"),
    request={media: GatewayRequest for media in FORMS},
    responses={200: GatewayResponse},
)
progress = extend_schema(
    operation_id="getProgress",
    summary="Statuses of a message's recipients",
    description=_errors("getProgress"),
    parameters=[OpenApiParameter("message_id", int, OpenApiParameter.PATH)],
    request={media: Credentials for media in FORMS},
    responses={200: ProgressResponse},
)
cancel = extend_schema(
    operation_id="cancelSms",
    summary="Cancel the recipients not yet sent, and refund them",
    description=_errors("cancelSms"),
    request={media: CancelRequest for media in FORMS},
    responses={200: CancelResponse},
)
validate_content = extend_schema(
    operation_id="validateContent",
    summary="Check whether operators may block a text",
    description=_errors("validateContent"),
    request={media: ValidateRequest for media in FORMS},
    responses={200: ValidateResponse},
)
incoming = extend_schema(
    operation_id="incoming",
    summary=f"Store an SMS received for a two-way service (at most "
    f"{settings.INCOMING_RATE_LIMIT} a second per service)",
    description=_errors("incoming"),
    parameters=[OpenApiParameter("sms_hash", str, OpenApiParameter.PATH)],
    request={media: IncomingRequest for media in FORMS},
    responses={200: ErrorFields},
)


def only_canonical_paths(endpoints, **kwargs):
    """Document each endpoint once: the ``json/``/``xml/`` variants are response media
    types, ``send/`` is an alias of ``gateway/``, and getProgress takes the id in the path."""
    return [
        endpoint
        for endpoint in endpoints
        if "{format}" not in endpoint[0]
        and not endpoint[0].startswith("/sms_api/send/")
        and endpoint[0] != "/sms_api/getProgress/"
    ]
