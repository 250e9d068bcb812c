"""The API endpoints: parse the wire request, authenticate, call the pipeline, answer.

Every business outcome is HTTP 200 with ``error`` (seed 001 §2b). The order of
checks: missing fields, then the address's failed-login block, the username
and password, the allowlist, then the request itself.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import apiauth
from accounts.ipallow import request_address
from accounts.throttle import Throttle
from messaging import services
from messaging.models import Status
from messaging.statuslist import StatusList

from . import schema
from .errors import ApiError, from_pipeline
from .render import UrlFormatNegotiation, WireJSONRenderer, WireXMLRenderer

# The seed spells some fields differently in its own examples (SPEC §4).
ALTERNATE_SPELLINGS = {"Username": "username", "Password": "password"}
INCOMING_SPELLINGS = {"received_at": "sms_date", "message": "sms_message"}
TRUE_VALUES = {"1", "true", "yes", "on"}
CREDENTIAL_FIELDS = {"username", "password", "Username", "Password"}


def login_throttle() -> Throttle:
    return Throttle(
        "api-login", settings.API_LOGIN_FAILURE_LIMIT, settings.API_LOGIN_FAILURE_WINDOW
    )


class LimitedUpload(FileUploadHandler):
    """Stops reading an upload past ``API_MAX_UPLOAD_BYTES`` so disk use stays bounded."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.API_MAX_UPLOAD_BYTES:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def flag(value) -> bool:
    return str(value or "").strip().lower() in TRUE_VALUES


def unix_time(value: str | None, field: str) -> datetime | None:
    """A Unix timestamp field; empty means not given."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ApiError("INVALID_DATE_TME", field, f"{value!r} is not a Unix timestamp.") from None


class SmsApiView(APIView):
    renderer_classes = [WireJSONRenderer, WireXMLRenderer]
    parser_classes = [FormParser, MultiPartParser]
    content_negotiation_class = UrlFormatNegotiation
    authentication_classes: list = []
    permission_classes: list = []
    spellings: dict[str, str] = ALTERNATE_SPELLINGS

    def initialize_request(self, request, *args, **kwargs):
        self.upload_limit = LimitedUpload(request)
        request.upload_handlers.insert(0, self.upload_limit)
        return super().initialize_request(request, *args, **kwargs)

    def fields(self, request) -> dict[str, str]:
        """Query string and body fields in one dict (the body wins); files apart."""
        data = request.data
        if self.upload_limit.exceeded:
            # Reading stopped at the file: fields after it are missing too, so
            # this must be answered before any "missing field".
            raise ApiError(
                "ERROR_SAVING_UPLOADED_FILE",
                "to_file",
                f"The file is larger than {settings.API_MAX_UPLOAD_BYTES} bytes.",
            )
        merged: dict[str, str] = {}
        for source in (request.query_params, data):
            for key in source:
                value = source.get(key)
                if hasattr(value, "read"):
                    continue  # an uploaded file: read from request.FILES
                merged[key] = value
        for alternate, name in self.spellings.items():
            if alternate in merged and name not in merged:
                merged[name] = merged[alternate]
        # NUL cannot be stored in a text column nor sent in an SMS: it is dropped
        # from content. Credentials keep it, so that they simply do not match.
        return {
            key: value if key in CREDENTIAL_FIELDS else value.replace("\x00", "")
            for key, value in merged.items()
        }

    @staticmethod
    def require(fields: dict[str, str], *names: str, error: str = "MISSING_FIELDS") -> None:
        missing = [name for name in names if not (fields.get(name) or "").strip()]
        if missing:
            raise ApiError(error, missing[0], fields=missing)

    def authenticate(self, request, fields) -> apiauth.ApiIdentity:
        address = request_address(request)
        throttle = login_throttle()
        if throttle.blocked(address):
            self.refuse_blocked(throttle, address)
        identity = apiauth.by_username(fields["username"].strip())
        if identity is None:
            throttle.failure(address)
            raise ApiError("LOGIN_INCORRECT", "username")
        if not identity.check_password(fields["password"]):
            throttle.failure(address)
            raise ApiError("LOGIN_INCORRECT", "username")
        # The allowlist after the password: an unknown name and a wrong password
        # get the same answer from anywhere, so usernames cannot be discovered.
        if not identity.allows_address(address):
            raise ApiError("UNAUTHORISED_IP_ADDRESS", detail=f"Your address: {address}.")
        return identity

    @staticmethod
    def refuse_blocked(throttle: Throttle, address: str):
        retry_after = throttle.retry_after(address)
        error = ApiError("TOO_MANY_FAILED_LOGINS", retry_after=retry_after)
        error.headers["Retry-After"] = str(retry_after)
        raise error

    def handle_exception(self, exc):
        if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | ParseError):
            exc = ApiError(
                "ERROR_SAVING_UPLOADED_FILE",
                "to_file",
                f"The request body is larger than {settings.API_MAX_UPLOAD_BYTES} bytes "
                "or malformed.",
            )
        if isinstance(exc, UnsupportedMediaType):
            exc = ApiError(
                "INVALID_FIELD",
                "Content-Type",
                "Send application/x-www-form-urlencoded or multipart/form-data.",
            )
        if isinstance(exc, ApiError):
            return Response(exc.payload(), headers=exc.headers)
        if isinstance(exc, services.SendError):
            return Response(from_pipeline(exc).payload())
        return super().handle_exception(exc)

    @extend_schema(exclude=True)  # documented once, as POST; GET takes the same fields
    def get(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)


class GatewayView(SmsApiView):
    """``gateway/``: send one text to one or many numbers (seed 001 §4)."""

    @schema.gateway
    def post(self, request, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password", "message")
        identity = self.authenticate(request, fields)
        recipients, digits_only, source_field = self.recipients(request, fields)
        send_request = services.SendRequest(
            recipients=recipients,
            recipients_digits_only=digits_only,
            text=fields["message"],
            sender=fields.get("from", ""),
            send_at=unix_time(fields.get("send_datetime"), "send_datetime"),
            flash=flag(fields.get("flash_sms")),
            express=flag(fields.get("sms_express")),
            remove_special_characters=flag(fields.get("remove_special_characters")),
            force=flag(fields.get("force")),
            notify_url=fields.get("notify_url", ""),
            user_flag=fields.get("user_flag", ""),
        )
        try:
            accepted = services.submit(identity.service_id, send_request)
        except services.SendError as exc:
            raise from_pipeline(exc, {"to_list": source_field}) from None
        message = accepted.message
        return Response(
            {
                "error": "OK",
                "message_id": message.pk,
                "recipient_count": message.recipient_count,
                "recipient_list": StatusList.all_with(accepted.numbers, Status.PENDING),
                "message_parts": message.parts,
            }
        )

    def recipients(self, request, fields) -> tuple[list[str], bool, str]:
        """The raw recipient entries, whether they are file lines, and the field they came from."""
        upload = request.FILES.get("to_file")
        as_text = (fields.get("to_file") or "").strip()
        to_list = (fields.get("to_list") or "").strip()
        has_file = upload is not None or bool(as_text)
        if has_file and to_list:
            raise ApiError("RECIPIENT_DATA_CONFLICT", "to_list")
        if upload is not None:
            try:
                data = upload.read()
            except OSError:
                raise ApiError("ERROR_SAVING_UPLOADED_FILE", "to_file") from None
            # Digits are all that is read from a line, so any ASCII-compatible
            # encoding (and even UTF-16) reads correctly as Latin-1.
            return data.decode("latin-1").splitlines(), True, "to_file"
        if as_text:  # seed examples 6 and 7 pass to_file as a plain field
            return as_text.splitlines(), True, "to_file"
        if to_list:
            return to_list.replace(";", ",").replace("\n", ",").split(","), False, "to_list"
        raise ApiError("MISSING_RECIPIENT_DATA", "to_list")


class ProgressView(SmsApiView):
    """``getProgress/<message_id>/``: the message's recipients and their statuses (§5a)."""

    @schema.progress
    def post(self, request, message_id=None, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password")
        identity = self.authenticate(request, fields)
        found = services.progress(identity.service_id, message_id or fields.get("message_id"))
        message = found.message
        return Response(
            {
                "error": "OK",
                "message_id": message.pk,
                "recipient_count": message.recipient_count,
                "recipient_list": found.recipients,
                "success_count": found.success_count,
                "failure_count": found.failure_count,
                "user_flag": message.user_flag,
                "message_parts": message.parts,
            }
        )


class CancelView(SmsApiView):
    """``cancelSms``: cancel recipients not yet handed to a gateway, and refund them (§6)."""

    @schema.cancel
    def post(self, request, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password", "message_id")
        identity = self.authenticate(request, fields)
        cancelled = services.cancel(identity.service_id, fields["message_id"])
        return Response(
            {"error": "OK", "message_id": int(fields["message_id"]), "cancelled_count": cancelled}
        )


class ValidateContentView(SmsApiView):
    """``validateContent``: may this text be blocked by operators? (§7)"""

    @schema.validate_content
    def post(self, request, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password")
        self.authenticate(request, fields)
        self.require(fields, "message", error="MISSING_MESSAGE_CONTENT")
        return Response(
            {"error": "OK", "may_be_invalid": services.content_may_be_invalid(fields["message"])}
        )


class IncomingView(SmsApiView):
    """``incoming/<sms_hash>/``: store an SMS received for a two-way service (§3a)."""

    spellings = INCOMING_SPELLINGS

    @schema.incoming
    def post(self, request, sms_hash, format=None):
        address = request_address(request)
        throttle = login_throttle()
        if throttle.blocked(address):
            self.refuse_blocked(throttle, address)
        identity = apiauth.by_sms_hash(sms_hash)
        if identity is None or not identity.two_way:
            throttle.failure(address)
            raise ApiError("INVALID_HASH", "sms_hash")
        if not identity.allows_address(address):
            raise ApiError("UNAUTHORISED_IP_ADDRESS", detail=f"Your address: {address}.")
        fields = self.fields(request)
        self.require(fields, "from_number", "to_number", "sms_message", error="MISSING_SMS_FIELDS")
        received_at = unix_time(fields.get("sms_date"), "sms_date")
        services.store_incoming(
            identity.service_id,
            fields["from_number"].strip(),
            fields["to_number"].strip(),
            fields["sms_message"],
            received_at,
        )
        return Response({"error": "OK"})
