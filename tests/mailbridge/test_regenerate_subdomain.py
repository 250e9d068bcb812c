"""``manage.py regenerate_subdomain``: the panel's "regeneruj" for staff (seed 000 §5.1.2)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mailbridge.models import Sms2EmailSettings

pytestmark = pytest.mark.django_db


def regenerate(service_id):
    out = StringIO()
    call_command("regenerate_subdomain", str(service_id), stdout=out)
    return out.getvalue().strip()


def test_prints_the_new_subdomain_and_stores_it(mail_service):
    old = mail_service.sms2email.ups_subdomain
    new = regenerate(mail_service.pk)
    assert new != old and len(new) == 8 and new.isalpha()
    assert Sms2EmailSettings.objects.get(service=mail_service).ups_subdomain == new


def test_an_unknown_service_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No service with id 999999"):
        regenerate(999999)


def test_a_service_without_sms2email_settings_is_a_clear_error(make_service):
    service = make_service()
    with pytest.raises(CommandError, match="has no Sms2Email settings"):
        regenerate(service.pk)
