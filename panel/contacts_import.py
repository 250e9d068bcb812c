"""Importing contacts into the address book: upload, preview with the column mapping,
then the report (with the progress of a large import, run by a worker).

The steps and how the file is kept between them are ``contacts.imports``; these pages
only ask and show. Every page finds the import by its random key *and* the signed-in
customer: another customer's import is "not found", like a missing one.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts import importer, imports
from contacts.models import CUSTOM_FIELDS, ContactGroup, ImportState

from . import history
from .sending import MAX_FILE_BYTES

PREVIEW_ROWS = 5
# What a file may be called; anything else is refused before it is read.
SUFFIXES = (".csv", ".txt", ".xlsx")
# An old Excel workbook (.xls): its first bytes.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def customer_of(request):
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404
    return customer


def get_import(request, key):
    job = imports.for_customer(customer_of(request), key)
    if job is None:
        raise Http404
    return job


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File with contacts"),
        help_text=gettext_lazy(
            "CSV (commas or semicolons, as Excel saves it) or Excel .xlsx, at most 5 MB. "
            "The next step shows the first rows before anything is imported."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it into smaller ones.")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        name = (upload.name or "").lower()
        if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
            raise forms.ValidationError(
                _("Old Excel files (.xls) cannot be read: save it as .xlsx or CSV.")
            )
        if not name.endswith(SUFFIXES):
            raise forms.ValidationError(
                _("This is not a CSV or Excel (.xlsx) file: choose a file ending in .csv or .xlsx.")
            )
        if not data.strip():
            raise forms.ValidationError(_("The file is empty."))
        return upload.name, data


@login_required
def import_upload(request):
    customer = customer_of(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        name, data = form.cleaned_data["file"]
        job = imports.upload(customer, name, data)
        try:
            shown = imports.preview(job)
        except importer.ImportFileError as exc:
            job.delete()
            form.add_error("file", str(exc))
        else:
            if not shown.rows or (shown.header and len(shown.rows) == 1):
                job.delete()
                form.add_error("file", _("The file holds no contacts: it has no rows of data."))
            else:
                return redirect("contacts_import_preview", job.key)
    return render(request, "panel/contacts/import_upload.html", {"form": form})


def target_choices(customer) -> list[tuple[str, str]]:
    names = imports.field_names(customer)
    choices = [
        (importer.IGNORED, _("— skip this column —")),
        (importer.NUMBER, _("phone number")),
        ("first_name", _("first name")),
        ("last_name", _("last name")),
        ("email", _("e-mail")),
        ("note", _("note")),
    ]
    for i, field in enumerate(CUSTOM_FIELDS, 1):
        label = _("custom field %(n)s") % {"n": i}
        choices.append((field, f"{label}: {names[field]}" if field in names else label))
    return choices


class MappingForm(forms.Form):
    header = forms.BooleanField(
        label=gettext_lazy("The first row names the columns"), required=False
    )
    group = forms.ModelChoiceField(
        label=gettext_lazy("Add the contacts to a group"),
        queryset=ContactGroup.objects.none(),
        required=False,
        empty_label=gettext_lazy("— no group —"),
    )
    new_group = forms.CharField(
        label=gettext_lazy("…or to a new group"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Its name; an existing group of that name is used."),
    )
    update_existing = forms.BooleanField(
        label=gettext_lazy(
            "Update contacts already in the address book (same number) with the file's data"
        ),
        required=False,
    )

    def __init__(self, *args, customer, columns: int, samples: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["group"].queryset = ContactGroup.objects.filter(customer=customer)
        choices = target_choices(customer)
        self.columns = []
        for index in range(columns):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=_("Column %(n)s") % {"n": index + 1},
                choices=choices,
                required=False,
                help_text=samples[index],
            )
            self.columns.append(name)

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name) or importer.IGNORED for name in self.columns]

    def clean(self):
        data = super().clean()
        if data.get("group") and data.get("new_group"):
            self.add_error("new_group", _("Choose a group or name a new one, not both."))
        try:
            importer.check_mapping(self.mapping())
        except importer.ImportFileError as exc:
            self.add_error(None, str(exc))
        return data


@login_required
def import_preview(request, key):
    job = get_import(request, key)
    if job.state != ImportState.UPLOADED:
        return redirect("contacts_import_report", job.key)
    try:
        shown = imports.preview(job, PREVIEW_ROWS)
    except importer.ImportFileError as exc:  # read once already; kept for safety
        job.delete()
        raise Http404 from exc
    columns = max(len(row) for row in shown.rows)
    rows = [row + [""] * (columns - len(row)) for row in shown.rows]
    data_rows = rows[1:] if shown.header else rows
    header_row = rows[0] if shown.header else None
    samples = []
    for index in range(columns):
        values = [row[index] for row in data_rows if row[index]][:2]
        title = f"„{header_row[index]}”" if header_row and header_row[index] else ""
        samples.append(" · ".join(filter(None, [title, ", ".join(values)])))
    initial = {f"column_{i}": target for i, target in enumerate(shown.mapping)}
    initial.update(header=shown.header, update_existing=True)
    form = MappingForm(
        request.POST or None,
        initial=initial,
        customer=job.customer,
        columns=columns,
        samples=samples,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        imports.start(
            job,
            mapping=form.mapping(),
            header=data["header"],
            group=data["group"],
            new_group=data["new_group"],
            update_existing=data["update_existing"],
        )
        return redirect("contacts_import_report", job.key)
    return render(
        request,
        "panel/contacts/import_preview.html",
        {
            "job": job,
            "form": form,
            "preview": shown,
            "header_row": header_row,
            "data_rows": data_rows,
            "column_fields": [form[name] for name in form.columns],
            "delimiter": {";": ";", ",": ",", "\t": "Tab"}.get(shown.delimiter or "", ""),
        },
    )


@login_required
def import_report(request, key):
    job = get_import(request, key)
    if job.state == ImportState.UPLOADED:
        return redirect("contacts_import_preview", job.key)
    imports.requeue_if_lost(job)
    working = job.state in (ImportState.QUEUED, ImportState.RUNNING)
    report = job.report or {}
    shown = imports.problems(job)
    percent = None
    if working and job.rows_estimate:
        percent = min(99, job.rows_done * 100 // job.rows_estimate)
    response = render(
        request,
        "panel/contacts/import_report.html",
        {
            "job": job,
            "working": working,
            "report": report,
            "problems": shown,
            "problems_total": report.get("invalid", 0) + report.get("duplicates", 0),
            "percent": percent,
        },
    )
    if working:
        # Works without JavaScript: the page reloads itself until the import ends.
        response["Refresh"] = "2"
    return response


@login_required
def import_problems_csv(request, key):
    """The rows left out (the first 1,000), with why: the plain CSV, or ``?format=excel``
    for Polish Excel (semicolons)."""
    job = get_import(request, key)
    if job.state != ImportState.DONE:
        raise Http404
    rows = ([p.row, history.cell(p.message)] for p in imports.problems(job))
    return history.csv_response(
        "import-problems",
        [_("Row"), _("Why it was left out")],
        rows,
        history.dialect_of(request.GET),
    )
