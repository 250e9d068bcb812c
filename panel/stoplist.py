"""The customer's STOP list: see, search, add, remove, import, export, the change log,
and the confirmation SMS a STOP or START is answered with.

One list per customer, for all their services (``messaging.stoplist`` keeps it and
the send pipeline reads it). Every change goes through ``messaging.stoplist``, which
logs it with the signed-in user.
"""

import csv
import io
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import Customer
from contacts.importer import detect_charset, detect_delimiter
from messaging import numbers, stoplist
from messaging.models import StopChange, StopEntry, StopSettings, StopVia

from . import confirm, history
from .sending import MAX_FILE_BYTES, split_recipients

PER_PAGE = 50
# The rows of an import the page names as not read; the rest are counted.
PROBLEMS_SHOWN = 20


def _customer(request) -> Customer:
    # A signed-in user without a customer (staff) has no list: not found.
    return get_object_or_404(Customer, user=request.user)


class AddForm(forms.Form):
    numbers = forms.CharField(
        label=gettext_lazy("Numbers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=100_000,
        help_text=gettext_lazy("One per line, or separated by commas."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (CSV or TXT)"),
        help_text=gettext_lazy("A number in each line; other columns are ignored."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it into smaller ones."),
                params={"mb": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload


class SettingsForm(forms.ModelForm):
    class Meta:
        model = StopSettings
        fields = ["confirm", "stop_text", "start_text"]
        help_texts = {
            "confirm": gettext_lazy(
                "Sent from the service that received the STOP or START, and charged as one "
                "SMS. With no funds no answer is sent; the number is on the list all the same."
            ),
        }

    # One SMS each: StopSettings.clean, which admin's form runs too.
    def clean_stop_text(self):
        return self.cleaned_data["stop_text"].strip()

    def clean_start_text(self):
        return self.cleaned_data["start_text"].strip()

    def clean(self):
        data = super().clean()
        if data.get("confirm") and not data.get("stop_text"):
            self.add_error("stop_text", _("Type the answer to STOP, or switch answers off."))
        return data


def _settings_of(customer: Customer) -> StopSettings:
    found = StopSettings.objects.filter(customer=customer).first()
    return found or StopSettings(
        customer=customer,
        stop_text=_("You will get no more SMS from us. To get them again, reply START."),
        start_text=_("You will get our SMS again. To stop them, reply STOP."),
    )


@login_required
def stoplist_page(request):
    customer = _customer(request)
    entries = StopEntry.objects.filter(customer=customer).order_by("-created_at", "-id")
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        digits = "".join(c for c in query if c.isdigit())
        wanted = numbers.normalise_msisdn(query)
        entries = (
            entries.filter(number=wanted)
            if wanted
            else entries.filter(number__contains=digits or query)
        )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    return _render(request, customer, page=page, query=query)


def _render(request, customer, *, status=200, **context):
    context.setdefault(
        "page",
        Paginator(
            StopEntry.objects.filter(customer=customer).order_by("-created_at", "-id"), PER_PAGE
        ).get_page(1),
    )
    context.setdefault("add_form", AddForm())
    context.setdefault("import_form", ImportForm())
    context.setdefault("settings_form", SettingsForm(instance=_settings_of(customer)))
    return render(
        request,
        "panel/stoplist.html",
        {
            "total": StopEntry.objects.filter(customer=customer).count(),
            "search": urlencode({"q": context["query"]}) if context.get("query") else "",
            "stop_words": ", ".join(settings.STOP_WORDS),
            "start_words": ", ".join(settings.START_WORDS),
            **context,
        },
        status=status,
    )


@login_required
@require_POST
def stoplist_add(request):
    customer = _customer(request)
    form = AddForm(request.POST)
    if not form.is_valid():
        return _render(request, customer, add_form=form, status=400)
    entries = split_recipients(form.cleaned_data["numbers"])
    added, invalid = stoplist.add(customer.pk, entries, StopVia.PANEL, user=request.user)
    _report(request, len(added), invalid)
    return redirect("stoplist")


def _report(request, added: int, invalid: int, already: int | None = None) -> None:
    messages.success(
        request,
        ngettext(
            "%(n)s number added to the STOP list.", "%(n)s numbers added to the STOP list.", added
        )
        % {"n": added},
    )
    if already:
        messages.info(
            request,
            ngettext(
                "%(n)s number was on the list already.",
                "%(n)s numbers were on the list already.",
                already,
            )
            % {"n": already},
        )
    if invalid:
        messages.warning(
            request,
            ngettext(
                "%(n)s entry is not a Polish mobile number and was skipped.",
                "%(n)s entries are not Polish mobile numbers and were skipped.",
                invalid,
            )
            % {"n": invalid},
        )


def read_numbers(data: bytes) -> tuple[list[str], list[int]]:
    """The numbers of an uploaded CSV or TXT file, and the numbers of the rows holding
    none (a first row without one is a header, not counted). The charset and delimiter
    are detected as the address book's import detects them."""
    text = data.decode(detect_charset(data[:65536]), errors="replace")
    delimiter = detect_delimiter(text[:65536])
    found, problems = [], []
    for row_number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        number = next(filter(None, (numbers.normalise_msisdn(c) for c in cells)), None)
        if number is not None:
            found.append(number)
        elif not (row_number == 1 and any(c.isalpha() for c in "".join(cells))):
            problems.append(row_number)
    return found, problems


@login_required
@require_POST
def stoplist_import(request):
    customer = _customer(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, customer, import_form=form, status=400)
    found, problems = read_numbers(form.cleaned_data["file"].read())
    unique = list(dict.fromkeys(found))
    added, _invalid = stoplist.add(customer.pk, unique, StopVia.IMPORT, user=request.user)
    _report(request, len(added), len(problems), already=len(unique) - len(added))
    if problems:
        rows = ", ".join(str(n) for n in problems[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:
            rows += " …"
        messages.warning(request, _("Rows without a number: %(rows)s.") % {"rows": rows})
    return redirect("stoplist")


@login_required
@confirm.asks_first
def stoplist_remove(request, stop_id):
    customer = _customer(request)
    entry = get_object_or_404(StopEntry, customer=customer, pk=stop_id)
    if confirm.confirmed(request):
        stoplist.remove(customer.pk, [entry.number], StopVia.PANEL, user=request.user)
        messages.success(
            request,
            _("%(number)s is off the STOP list: your SMS reach it again.")
            % {"number": entry.number},
        )
        return redirect("stoplist")
    return render(
        request,
        "panel/stoplist_confirm.html",
        {
            "title": _("Take %(number)s off the STOP list?") % {"number": entry.number},
            "what": [
                _(
                    "Your SMS will reach this number again. Do it only if its owner asked "
                    "for your messages again."
                )
            ],
            "yes": _("Yes, take it off"),
            "back": reverse("stoplist"),
            "field": confirm.FIELD,
            "value": confirm.YES,
        },
    )


@login_required
@require_POST
def stoplist_settings(request):
    customer = _customer(request)
    form = SettingsForm(request.POST, instance=_settings_of(customer))
    if not form.is_valid():
        return _render(request, customer, settings_form=form, status=400)
    form.save()
    messages.success(request, _("Saved."))
    return redirect("stoplist")


@login_required
def stoplist_csv(request):
    customer = _customer(request)
    rows = (
        StopEntry.objects.filter(customer=customer)
        .order_by("number")
        .values_list("number", "created_at")
        .iterator(chunk_size=2000)
    )
    return history.csv_response(
        "stoplist",
        [_("Number"), _("Added")],
        ((number, history._when(at)) for number, at in rows),
        history.dialect_of(request.GET),
    )


@login_required
def stoplist_log(request):
    customer = _customer(request)
    changes = (
        StopChange.objects.filter(customer=customer)
        .select_related("user", "incoming__service")
        .order_by("-at", "-id")
    )
    query = (request.GET.get("q") or "").strip()[:200]
    if query:
        wanted = numbers.normalise_msisdn(query)
        changes = changes.filter(number=wanted or query)
    page = Paginator(changes, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "panel/stoplist_log.html",
        {"page": page, "query": query, "search": urlencode({"q": query}) if query else ""},
    )
