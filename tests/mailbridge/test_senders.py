"""Autoryzowani nadawcy SMS: entries are addresses or domains, each claimed by one service."""

import pytest
from django.core.exceptions import ValidationError

from mailbridge.models import Sms2EmailSettings
from mailbridge.senders import parse_entries, set_authorised, settings_for

pytestmark = pytest.mark.django_db


def test_entries_are_addresses_or_domains_separated_by_commas():
    assert parse_entries(" Jan@Firma.PL, biuro.pl ,@sklep.com.pl,, ") == [
        "jan@firma.pl",
        "biuro.pl",
        "sklep.com.pl",
    ]


@pytest.mark.parametrize("entry", ["jan@", "not an address", "jan@firma", "a@b@c.pl"])
def test_a_malformed_entry_is_refused_by_name(entry):
    with pytest.raises(ValidationError, match="neither an e-mail address nor a domain"):
        parse_entries(f"ok@firma.pl, {entry}")


def test_an_entry_another_service_claims_is_refused(make_service):
    first = Sms2EmailSettings.objects.create(service=make_service())
    second = Sms2EmailSettings.objects.create(service=make_service())
    set_authorised(first, "firma.pl")
    with pytest.raises(ValidationError, match="firma.pl already sends for another service"):
        set_authorised(second, "jan@inna.pl, firma.pl")
    assert settings_for("jan@inna.pl") is None  # nothing of the refused list was kept


def test_an_exact_address_beats_its_domain_and_removed_entries_stop_routing(make_service):
    company = Sms2EmailSettings.objects.create(service=make_service())
    boss = Sms2EmailSettings.objects.create(service=make_service())
    set_authorised(company, "firma.pl")
    set_authorised(boss, "Szef@firma.pl")
    assert settings_for("szef@FIRMA.pl") == boss
    assert settings_for("ktos@firma.pl") == company
    set_authorised(company, "")
    assert settings_for("ktos@firma.pl") is None


@pytest.mark.parametrize("entry", ["gmail.com", "wp.pl", "@onet.pl", "GMAIL.COM"])
def test_a_public_mail_domain_is_refused_as_a_whole(entry):
    from django.core.exceptions import ValidationError

    from mailbridge.senders import parse_entries

    with pytest.raises(ValidationError, match="public mail service"):
        parse_entries(entry)
    assert parse_entries("jan.kowalski@gmail.com") == ["jan.kowalski@gmail.com"]
