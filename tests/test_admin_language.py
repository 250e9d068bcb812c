"""Django admin speaks the staff member's language: in Polish, every section, model and
label the admin shows is Polish, django-q2's task queue included (django-q2 ships no
Polish: ours is in locale/pl, its msgids marked in smspanel/django_q_texts.py)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.text import capfirst

from accounts.models import SENDER_OPERATORS

pytestmark = pytest.mark.django_db

# Labels written the same way in both languages (names, codes, loanwords Polish uses).
SAME_IN_BOTH = {
    "Cron",
    "English",
    "GSM-7",
    "HTTP API",
    "ID",
    "Message-ID",
    "Polski",
    "Sms2Email",
    "UCS-2",
    "URL",
    "alias",
    "application/x-www-form-urlencoded",
    "callback",
    "callback URL",
    "e-mail",
    "flash",
    "host",
    "operator",
    "panel",
    "port",
    "status",
    # seed 004's operator columns, named as its senders.php names them
    *SENDER_OPERATORS,
}


def _text(value) -> str:
    return str(value() if callable(value) else value)


def labels(model_admin, model, request) -> list[tuple[str, object]]:
    """(where, label) for what the admin shows of ``model``: its section and names,
    the change list's columns and filters, the form's fields with their help texts
    and choices, the actions, and the same of each inline. A label may be a callable,
    called under the language being checked."""
    opts = model._meta
    found: list[tuple[str, object]] = [
        ("section", opts.app_config.verbose_name),
        ("name", opts.verbose_name),
        ("plural", opts.verbose_name_plural),
    ]
    obj = model()
    names = []
    if hasattr(model_admin, "get_list_display"):
        names += [n for n in model_admin.get_list_display(request) if isinstance(n, str)]
        names += [f for f in model_admin.get_list_filter(request) if isinstance(f, str)]
    fields = list(model_admin.get_fields(request, obj))
    names += fields + list(model_admin.get_readonly_fields(request, obj))
    parent = getattr(model_admin, "parent_model", None)
    for name in dict.fromkeys(names):
        field = next((f for f in opts.fields if name in (f.name, f.attname)), None)
        if name == "__str__" or (parent and field and field.related_model is parent):
            continue  # the object itself; an inline's link to its parent (not shown)
        found.append((name, lambda name=name: label_for_field(name, model, model_admin)))
        if field is not None and name in fields:
            if field.help_text:
                found.append((f"{name} (help)", field.help_text))
            found += [(f"{name}={value}", label) for value, label in field.flatchoices]
    if hasattr(model_admin, "get_actions"):
        found += [
            (f"action {name}", description)
            for name, (_func, _name, description) in model_admin.get_actions(request).items()
        ]
    if hasattr(model_admin, "get_inline_instances"):
        for inline in model_admin.get_inline_instances(request, obj):
            found += [(f"inline {w}", t) for w, t in labels(inline, inline.model, request)[3:]]
    return found


def untranslated(models, admin_user) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    english = []
    for model in models:
        model_admin = admin.site._registry[model]
        for where, label in labels(model_admin, model, request):
            with translation.override("en"):
                en = _text(label)
            with translation.override("pl"):
                pl = _text(label)
            if en and en == pl and en not in SAME_IN_BOTH:
                english.append(f"{model._meta.label} {where}: {en!r}")
    return english


def _sign_in(admin_user, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(admin_user)
    return client


def test_the_admin_index_names_every_section_and_model_in_polish(admin_user):
    page = _sign_in(admin_user, "pl").get("/admin/").content.decode()
    english = []
    for model in admin.site._registry:
        opts = model._meta
        with translation.override("pl"):
            section = str(opts.app_config.verbose_name)
            plural = str(capfirst(opts.verbose_name_plural))
        with translation.override("en"):
            in_english = str(capfirst(opts.verbose_name_plural))
        assert section in page and plural in page
        if plural == in_english and plural not in SAME_IN_BOTH:
            english.append(plural)
    assert not english, english
    for text in ["Kolejka zadań", "Zadania zaplanowane", "Zadania udane", "Zadania nieudane"]:
        assert text in page


def test_the_admin_index_in_english_is_english(admin_user):
    page = _sign_in(admin_user, "en").get("/admin/").content.decode()
    assert "Task queue" in page and "Scheduled tasks" in page
    assert "Kolejka zadań" not in page


def test_the_task_queue_section_is_polish(admin_user):
    models = [m for m in apps.get_app_config("django_q").get_models() if m in admin.site._registry]
    assert models
    english = untranslated(models, admin_user)
    assert not english, "\n".join(english)


def test_the_task_queue_pages_render_in_polish(admin_user):
    client = _sign_in(admin_user, "pl")
    for url in ["/admin/django_q/", "/admin/django_q/schedule/", "/admin/django_q/schedule/add/"]:
        page = client.get(url).content.decode()
        assert "Kolejka zadań" in page
        for english in ["Scheduled task", "Schedule Type", "Next Run", "Function"]:
            assert english not in page, (url, english)


def test_every_admin_label_is_polish(admin_user):
    english = untranslated(list(admin.site._registry), admin_user)
    assert not english, "\n".join(english)


def test_admin_object_names_are_polish(service):
    from mailbridge.models import OutboundKind, OutboundMail, Sms2EmailSettings

    settings_row = Sms2EmailSettings(service=service)
    mail = OutboundMail(service=service, kind=OutboundKind.REPORT, to="jan@example.com")
    with translation.override("pl"):
        assert str(settings_row) == f"Sms2Email usługi {service}"
        assert str(mail) == "raport doręczenia do jan@example.com"
    with translation.override("en"):
        assert str(settings_row) == f"Sms2Email of {service}"
        assert str(mail) == "delivery report to jan@example.com"
