"""The API endpoints: parse the wire request, authenticate, call the pipeline, answer.

Every business outcome is HTTP 200 with ``error`` (seed 001 §2b). The order of
checks: the body's charset, missing fields, then the failed-login blocks (of the
address's group and of the username), the username and password, the
allowlist, then the request itself.
"""

import codecs
import logging
import re
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils import timezone
from django.utils.http import parse_header_parameters
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import apiauth
from lib import dbstate
from lib.clientaddress import request_address
from lib.throttle import RateLimit
from lib.unixtime import LATEST_UNIX_TIME
from messaging import content, services
from messaging.choices import Status
from messaging.statuslist import StatusList

from . import errors, schema
from .errors import ApiError, from_pipeline
from .render import UrlFormatNegotiation, WireJSONRenderer, WireXMLRenderer

logger = logging.getLogger(__name__)

# The seed spells some fields differently in its own examples (SPEC §4).
ALTERNATE_SPELLINGS = {"Username": "username", "Password": "password"}
INCOMING_SPELLINGS = {"received_at": "sms_date", "message": "sms_message"}
TRUE_VALUES = {"1", "true", "yes", "on"}
CREDENTIAL_FIELDS = {"username", "password", "Username", "Password"}
# Body charsets read as named: UTF-8, and what older Polish clients send
# (ISO-8859-2, Windows-1250; ASCII and Latin-1 are harmless). Any other is
# refused rather than guessed at: some codecs (unicode_escape) make text no
# database or answer can hold.
ACCEPTED_CHARSETS = {"utf-8", "iso8859-2", "cp1250", "ascii", "iso8859-1"}
# A Unix time on the wire: ASCII digits, an optional sign and a decimal fraction.
UNIX_TIME = re.compile(r"(?P<sign>[+-]?)(?P<whole>\d*)(?:\.(?P<fraction>\d*))?", re.ASCII)

incoming_rate = RateLimit("incoming")


def interface_off(field: str, name: str = "LOGIN_INCORRECT") -> ApiError:
    """The HTTP API switched off in the panel: the protocol's own login error, saying so."""
    return ApiError(
        name, field, "The HTTP API is switched off for this service (panel › Interfaces)."
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


def unix_seconds(value: str | None, field: str) -> int | None:
    """A Unix time field in whole seconds; empty means not given.

    A number is one however large (the caller clamps it); a decimal fraction is
    dropped. Anything else, exponents included, is INVALID_DATE_TME.
    """
    value = (value or "").strip()
    if not value:
        return None
    match = UNIX_TIME.fullmatch(value)
    if match is None or not (match["whole"] or match["fraction"]):
        raise ApiError("INVALID_DATE_TME", field, f"{value[:40]!r} is not a Unix timestamp.")
    whole = match["whole"].lstrip("0")
    # Past the clamp either way: no need to read a thousand digits.
    seconds = int(whole or "0") if len(whole) <= 15 else LATEST_UNIX_TIME + 1
    return -seconds if match["sign"] == "-" else seconds


def send_time(value: str | None) -> datetime | None:
    """``send_datetime``: any time in the past is now, a huge one too far ahead (SPEC §4)."""
    seconds = unix_seconds(value, "send_datetime")
    if seconds is None:
        return None
    return datetime.fromtimestamp(min(max(seconds, 0), LATEST_UNIX_TIME), tz=UTC)


def received_time(value: str | None) -> datetime | None:
    """``sms_date``: when the SMS was received. A time before 1970 or after now is a wrong
    clock, taken as now (None) so that the SMS is kept."""
    seconds = unix_seconds(value, "sms_date")
    if seconds is None or seconds < 0 or seconds > timezone.now().timestamp():
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_body_size(request)
        self.check_charset(request)

    @staticmethod
    def check_body_size(request) -> None:
        """Refuse a body declared larger than any request needs (a file at the upload
        limit and the fields beside it) before reading a byte of it: Django spools a
        multipart file to disk and reads what follows a stopped upload to its end."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise ApiError(
                "ERROR_SAVING_UPLOADED_FILE",
                "to_file",
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            )

    @staticmethod
    def check_charset(request) -> None:
        """Refuse a body charset we do not read, before anything decodes the request."""
        _, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
        charset = params.get("charset")
        if charset is None:
            return
        try:
            name = codecs.lookup(charset).name
        except LookupError:
            name = None
        if name not in ACCEPTED_CHARSETS:
            raise ApiError(
                "INVALID_FIELD",
                "Content-Type",
                f"The charset {charset[:40]!r} is not read: send UTF-8 "
                "(or ISO-8859-2, Windows-1250).",
            )

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
        # An unknown name and a wrong password get the same answer from
        # anywhere (and count alike), so usernames cannot be discovered.
        try:
            identity = apiauth.by_credentials(address, fields["username"], fields["password"])
        except apiauth.Refused as refused:
            raise self.refusal(refused, ApiError("LOGIN_INCORRECT", "username")) from None
        if not identity.http_api:
            raise interface_off("username")
        return identity

    @staticmethod
    def refusal(refused: apiauth.Refused, wrong: ApiError) -> ApiError:
        """The wire error for a refused login (``wrong``: unknown name or bad password)."""
        if refused.reason == refused.BLOCKED:
            error = ApiError("TOO_MANY_FAILED_LOGINS", retry_after=refused.retry_after)
            error.headers["Retry-After"] = str(refused.retry_after)
            return error
        if refused.reason == refused.ADDRESS:
            return ApiError("UNAUTHORISED_IP_ADDRESS", detail=f"Your address: {refused.address}.")
        return wrong

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
        if dbstate.unavailable(exc):
            logger.warning("API call without a database: %s", exc)
            exc = errors.unavailable()
        if isinstance(exc, ApiError):
            return Response(exc.payload(), headers=exc.headers, status=exc.status)
        if isinstance(exc, services.SendError):
            return Response(from_pipeline(exc).payload())
        return super().handle_exception(exc)

    def get(self, request, *args, **kwargs):
        return self.post(request, *args, **kwargs)


@schema.gateway
class GatewayView(SmsApiView):
    """``gateway/``: send one text to one or many numbers (seed 001 §4)."""

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
            send_at=send_time(fields.get("send_datetime")),
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


@schema.progress
class ProgressView(SmsApiView):
    """``getProgress/<message_id>/``: the message's recipients and their statuses (§5a)."""

    def post(self, request, message_id=None, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password")
        identity = self.authenticate(request, fields)
        found = services.progress(identity.service_id, message_id or fields.get("message_id"))
        message = found.message
        answer = {
            "error": "OK",
            "message_id": message.pk,
            "recipient_count": found.recipient_count,
            "recipient_list": found.recipients,
            "success_count": found.success_count,
            "failure_count": found.failure_count,
            "user_flag": message.user_flag,
            "message_parts": message.parts,
        }
        if message.archived:
            # Extension: what retention archived ("text", "numbers": the list's
            # numbers are masked); absent until then, so the seed's answer is unchanged.
            answer["archived"] = message.archived
        if message.personalised:
            # Extension: a personalised send's recipients whose text is their own, with
            # its parts; absent for any other message, so the seed's answer is unchanged.
            answer["recipient_texts"] = [
                {"number": number, "text": text, "message_parts": parts}
                for number, text, parts in services.own_texts(message)
            ]
        return Response(answer)


@schema.cancel
class CancelView(SmsApiView):
    """``cancelSms``: cancel recipients not yet handed to a gateway, and refund them (§6)."""

    def post(self, request, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password", "message_id")
        identity = self.authenticate(request, fields)
        cancelled = services.cancel(identity.service_id, fields["message_id"])
        return Response(
            {"error": "OK", "message_id": int(fields["message_id"]), "cancelled_count": cancelled}
        )


@schema.validate_content
class ValidateContentView(SmsApiView):
    """``validateContent``: may this text be blocked by operators? (§7)"""

    def post(self, request, format=None):
        fields = self.fields(request)
        self.require(fields, "username", "password")
        self.authenticate(request, fields)
        self.require(fields, "message", error="MISSING_MESSAGE_CONTENT")
        return Response(
            {"error": "OK", "may_be_invalid": content.may_be_invalid(fields["message"])}
        )


@schema.incoming
class IncomingView(SmsApiView):
    """``incoming/<sms_hash>/``: store an SMS received for a two-way service (§3a)."""

    spellings = INCOMING_SPELLINGS

    def post(self, request, sms_hash, format=None):
        address = request_address(request)

        def find():
            identity = apiauth.by_sms_hash(sms_hash)
            return identity if identity is not None and identity.two_way else None

        try:
            identity = apiauth.admit(address, apiauth.login_keys(address), find)
        except apiauth.Refused as refused:
            raise self.refusal(refused, ApiError("INVALID_HASH", "sms_hash")) from None
        if not identity.http_api:
            raise interface_off("sms_hash", "INVALID_HASH")
        # Each call stores an SMS and queues a callback: a service's calls a
        # second are bounded, whichever addresses they come from.
        if not incoming_rate.allows(str(identity.service_id), settings.INCOMING_RATE_LIMIT):
            error = ApiError(
                "TOO_MANY_REQUESTS",
                detail=f"At most {settings.INCOMING_RATE_LIMIT} a second.",
                retry_after=1,
            )
            error.headers["Retry-After"] = "1"
            raise error
        fields = self.fields(request)
        self.require(fields, "from_number", "to_number", "sms_message", error="MISSING_SMS_FIELDS")
        received_at = received_time(fields.get("sms_date"))
        services.store_incoming(
            identity.service_id,
            fields["from_number"].strip(),
            fields["to_number"].strip(),
            fields["sms_message"],
            received_at,
        )
        return Response({"error": "OK"})
