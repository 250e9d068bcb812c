"""Every length and count limit of the panel's forms, at it and one past it: the value
at the limit is taken, the one past it gets a form error on its field saying what to
fix (README "Limits"). The send form's limits go through the page, as its refusals
come from the send pipeline."""

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from mailbridge.models import EDITABLE_FIELDS, Sms2EmailSettings
from messaging.models import Message
from panel import forms, history, sending
from tests.panel.test_send import errors_of, post

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Limit:
    name: str
    make: object  # (service, data) -> bound form
    data: dict  # the other fields
    field: str
    at: object
    over: object
    says: str  # in the error past the limit


def sms2email_form(service, data):
    row = Sms2EmailSettings.objects.create(service=service)
    base = {k: v for k, v in model_to_dict(row, EDITABLE_FIELDS).items() if v is not None}
    return forms.Sms2EmailSettingsForm({**base, **data}, instance=row, link_for=str)


FORMS = [
    Limit(
        "callback URL",
        lambda service, data: forms.CallbackUrlForm(data, instance=service),
        {},
        "callback_url",
        "https://example.com/" + "a" * 480,
        "https://example.com/" + "a" * 481,
        "at most 500 characters",
    ),
    Limit(
        "sender name",
        lambda service, data: forms.SenderIdForm(data, service=service),
        {},
        "name",
        "A" * 11,
        "A" * 12,
        "1–11 Latin letters",
    ),
    Limit(
        "sender number",
        lambda service, data: forms.SenderIdForm(data, service=service),
        {},
        "name",
        "4" * 15,
        "4" * 16,
        "up to 15 digits",
    ),
    Limit(
        "sender comment",
        lambda service, data: forms.SenderIdForm(data, service=service),
        {"name": "Shop"},
        "comment",
        "c" * 300,
        "c" * 301,
        "at most 300 characters",
    ),
    Limit(
        "IP address note",
        lambda service, data: forms.AllowedAddressForm(data, service=service),
        {"network": "203.0.113.7"},
        "note",
        "n" * 200,
        "n" * 201,
        "at most 200 characters",
    ),
    Limit(
        "new service name",
        lambda service, data: forms.OrderServiceForm(data),
        {"kind": "one_way"},
        "name",
        "s" * 200,
        "s" * 201,
        "at most 200 characters",
    ),
    Limit(
        "history search",
        lambda service, data: history.MessageFilterForm(data),
        {},
        "q",
        "q" * 200,
        "q" * 201,
        "at most 200 characters",
    ),
    Limit(
        "Sms2Email numbers in one mail",
        sms2email_form,
        {},
        "max_numbers",
        "10000",
        "10001",
        "less than or equal to 10000",
    ),
    Limit(
        "Sms2Email incoming recipients",
        sms2email_form,
        {},
        "incoming_recipients",
        ", ".join(f"r{n}@example.com" for n in range(10)),
        ", ".join(f"r{n}@example.com" for n in range(11)),
        "10",
    ),
]


@pytest.mark.parametrize("limit", FORMS, ids=lambda limit: limit.name)
def test_a_value_at_the_limit_is_taken(limit, service):
    form = limit.make(service, {**limit.data, limit.field: limit.at})

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("limit", FORMS, ids=lambda limit: limit.name)
def test_a_value_past_the_limit_is_a_form_error_on_its_field(limit, service):
    form = limit.make(service, {**limit.data, limit.field: limit.over})

    assert not form.is_valid()
    assert limit.field in form.errors, form.errors
    assert limit.says in " ".join(form.errors[limit.field]), form.errors


# -- the send form, through its page -----------------------------------------------------------


def test_a_file_of_exactly_the_size_limit_is_read(alice_client, service, monkeypatch):
    monkeypatch.setattr(sending, "MAX_FILE_BYTES", 1000)
    content = b"501234567\n" + b" " * 989 + b"\n"
    assert len(content) == 1000

    at = alice_client.post(
        f"/services/{service.pk}/send/",
        {"recipients_file": SimpleUploadedFile("n.txt", content), "text": "x", "token": "a"},
    )
    over = alice_client.post(
        f"/services/{service.pk}/send/",
        {"recipients_file": SimpleUploadedFile("n.txt", content + b" "), "text": "x", "token": "b"},
    )

    assert at.status_code == 302 and Message.objects.count() == 1
    assert "split it into smaller ones" in errors_of(over)
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "settings_at", "at", "over", "says"),
    [
        (
            "recipients",
            {"MAX_RECIPIENTS_PER_MESSAGE": 2},
            {"recipients": "501234567 501234568", "text": "x"},
            {"recipients": "501234567 501234568 501234569", "text": "x"},
            "At most 2 recipients in one message: split the list.",
        ),
        (
            "text",
            {},
            {"recipients": "501234567", "text": "x" * 918},
            {"recipients": "501234567", "text": "x" * 919},
            "The text takes 7 parts and this sender sends at most 6: shorten it.",
        ),
    ],
)
def test_the_send_form_takes_the_limit_and_names_what_to_fix_past_it(
    alice_client, service, settings, name, settings_at, at, over, says
):
    for setting, value in settings_at.items():
        setattr(settings, setting, value)

    taken = post(alice_client, service, **at)
    refused = post(alice_client, service, **over)

    assert taken.status_code == 302
    assert says in " ".join(refused.context["form"].errors[name])
    assert Message.objects.count() == 1
