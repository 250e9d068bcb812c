"""A sender ID's status at each of the platform's networks (settings.SENDER_NAME_OPERATORS,
``SenderOperatorStatus``), set by staff in admin; seed 004's columns stay SMSC's wire only."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from accounts.checks import sender_name_operators
from accounts.models import (
    SENDER_OPERATORS,
    OperatorStatus,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
)

pytestmark = pytest.mark.django_db

POLISH = {"orange": "Orange", "play": "Play", "plus": "Plus", "t-mobile": "T-Mobile"}


def at(sender, operator, status):
    return SenderOperatorStatus.objects.create(sender=sender, operator=operator, status=status)


def test_the_polish_networks_are_the_default(settings):
    assert settings.SENDER_NAME_OPERATORS == POLISH


def test_a_new_name_awaits_registration_at_every_configured_operator(service):
    shop = SenderId.objects.create(service=service, name="Shop")

    assert shop.registration_statuses() == [
        (name, OperatorStatus.AWAITING) for name in POLISH.values()
    ]


def test_statuses_recorded_show_in_the_settings_order(service):
    shop = SenderId.objects.create(service=service, name="Shop")
    at(shop, "t-mobile", OperatorStatus.REFUSED)
    at(shop, "play", OperatorStatus.ACCEPTED)

    assert shop.registration_statuses() == [
        ("Orange", OperatorStatus.AWAITING),
        ("Play", OperatorStatus.ACCEPTED),
        ("Plus", OperatorStatus.AWAITING),
        ("T-Mobile", OperatorStatus.REFUSED),
    ]


def test_another_market_configures_its_own_operators(service):
    shop = SenderId.objects.create(service=service, name="Shop")
    at(shop, "play", OperatorStatus.ACCEPTED)
    at(shop, "a1", OperatorStatus.SUBMITTED)

    with override_settings(SENDER_NAME_OPERATORS={"a1": "A1", "magenta": "Magenta"}):
        assert shop.registration_statuses() == [
            ("A1", OperatorStatus.SUBMITTED),
            ("Magenta", OperatorStatus.AWAITING),
        ]


def test_the_seed_004_columns_are_not_the_platforms_operators(service):
    shop = SenderId.objects.create(service=service, name="Shop", mts=2, ua_int=3)

    assert [status for _, status in shop.registration_statuses()] == [0, 0, 0, 0]
    assert dict(shop.operator_statuses())["mts"] == 2  # the wire's, as stored


def test_one_status_per_sender_and_operator(service):
    shop = SenderId.objects.create(service=service, name="Shop")
    at(shop, "play", OperatorStatus.SUBMITTED)

    with pytest.raises(IntegrityError), transaction.atomic():
        at(shop, "play", OperatorStatus.ACCEPTED)


def test_a_code_too_long_or_a_name_missing_is_a_check_error():
    assert sender_name_operators(None) == []
    bad = {"x" * 33: "Long", "empty": "", "orange": "Orange"}
    with override_settings(SENDER_NAME_OPERATORS=bad):
        errors = sender_name_operators(None)
    assert [e.id for e in errors] == ["accounts.E001", "accounts.E001"]


# -- admin ----------------------------------------------------------------------------------


def change_url(sender):
    return reverse("admin:accounts_senderid_change", args=[sender.pk])


def form_data(sender, rows, initial=0):
    """The change form posted with the inline's rows: (id or None, operator, status)."""
    data = {
        "service": sender.service_id,
        "name": sender.name,
        "status": sender.status,
        "comment": sender.comment,
        "operator_registrations-TOTAL_FORMS": str(len(rows)),
        "operator_registrations-INITIAL_FORMS": str(initial),
    }
    for i, (pk, operator, status) in enumerate(rows):
        data[f"operator_registrations-{i}-id"] = pk or ""
        data[f"operator_registrations-{i}-sender"] = sender.pk
        data[f"operator_registrations-{i}-operator"] = operator
        data[f"operator_registrations-{i}-status"] = status
    return data


def test_admin_offers_one_row_per_configured_operator_not_seed_004s(admin_client, service):
    shop = SenderId.objects.create(service=service, name="Shop")
    at(shop, "play", OperatorStatus.ACCEPTED)

    response = admin_client.get(change_url(shop))

    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.initial.get("operator") for form in formset.forms] == [
        "play",  # recorded
        "orange",  # the others, as extra rows naming their operator
        "plus",
        "t-mobile",
    ]
    page = response.content.decode()
    assert '<option value="t-mobile">T-Mobile</option>' in page
    for column in SENDER_OPERATORS:
        assert f'name="{column}"' not in page


def test_staff_set_a_status_and_untouched_rows_save_nothing(admin_client, service):
    shop = SenderId.objects.create(service=service, name="Shop", mts=2)
    rows = [(None, "orange", 0), (None, "play", 1), (None, "plus", 0), (None, "t-mobile", 0)]

    response = admin_client.post(change_url(shop), form_data(shop, rows))

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = SenderOperatorStatus.objects.filter(sender=shop)
    assert [(s.operator, s.status) for s in saved] == [("play", OperatorStatus.SUBMITTED)]
    shop.refresh_from_db()
    assert shop.mts == 2  # seed 004's columns are kept as they were


def test_staff_change_a_recorded_status(admin_client, service):
    shop = SenderId.objects.create(service=service, name="Shop")
    play = at(shop, "play", OperatorStatus.SUBMITTED)
    rows = [(play.pk, "play", 2), (None, "orange", 0), (None, "plus", 0), (None, "t-mobile", 0)]

    response = admin_client.post(change_url(shop), form_data(shop, rows, initial=1))

    assert response.status_code == 302, response.content.decode()[:2000]
    play.refresh_from_db()
    assert play.status == OperatorStatus.ACCEPTED


def test_an_operator_not_configured_is_refused(admin_client, service):
    shop = SenderId.objects.create(service=service, name="Shop")

    response = admin_client.post(change_url(shop), form_data(shop, [(None, "mts", 2)]))

    assert response.status_code == 200
    assert not SenderOperatorStatus.objects.exists()


def test_the_list_of_statuses_filters_by_operator_name(admin_client, service):
    shop = SenderId.objects.create(service=service, name="Shop", status=SenderStatus.ALLOWED)
    at(shop, "play", OperatorStatus.SUBMITTED)
    at(shop, "plus", OperatorStatus.ACCEPTED)
    url = reverse("admin:accounts_senderoperatorstatus_changelist")

    page = admin_client.get(url, {"operator": "play"})

    assert [row.operator for row in page.context["cl"].result_list] == ["play"]
    assert "T-Mobile" in page.content.decode()  # the filter names each configured operator


def test_admin_in_polish_words_the_statuses(admin_user, service):
    staff = Client(HTTP_ACCEPT_LANGUAGE="pl")
    staff.force_login(admin_user)
    shop = SenderId.objects.create(service=service, name="Shop")
    at(shop, "play", OperatorStatus.ACCEPTED)

    page = staff.get(change_url(shop)).content.decode()

    assert "Rejestracja u operatorów" in page
    assert '<option value="2" selected>zaakceptowana przez operatora</option>' in page


def test_each_status_has_a_short_word_in_both_languages():
    with translation.override("en"):
        english = [str(status.word) for status in OperatorStatus]
    with translation.override("pl"):
        polish = [str(status.word) for status in OperatorStatus]

    assert english == [
        *("awaiting", "submitted", "accepted", "refused", "suspended"),
        *("no funds", "name conflict"),
    ]
    assert polish == [
        *("oczekuje", "zgłoszona", "przyjęta", "odrzucona", "wstrzymana"),
        *("brak środków", "konflikt nazw"),
    ]
