"""The address book's pages: the customer's contacts (per customer, usable by each of
their services), their groups and custom field names, and the exports.

The views parse and render; contacts.book does the rest. Each page reaches only the
signed-in customer's contacts and groups: another customer's id is "not found".
"""

import tempfile
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from contacts import book
from contacts.models import CUSTOM_FIELDS, Contact, ContactGroup
from messaging import numbers

from . import confirm, history

PAGE_SIZE = 50
WITHOUT_GROUP = "none"


def _customer(request):
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise Http404  # a login without a customer account has no address book
    return customer


def _int(value) -> int:
    return int(value) if value and str(value).isdigit() else 0


def _page(request, template, tab, **context):
    return render(request, template, {"tab": tab, **context})


# -- forms -------------------------------------------------------------------------------


class ContactFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": gettext_lazy("number, name or e-mail")}
        ),
    )
    group = forms.ChoiceField(label=gettext_lazy("Group"), required=False)

    def __init__(self, data, *, groups):
        super().__init__(data)
        self.fields["group"].choices = [
            ("", _("all contacts")),
            (WITHOUT_GROUP, _("without a group")),
            *((str(group.pk), group.name) for group in groups),
        ]

    def found(self) -> book.Filter:
        """The filter: an invalid form filters nothing (and shows its errors)."""
        if not self.is_bound or not self.is_valid():
            return book.Filter()
        group = self.cleaned_data.get("group") or ""
        return book.Filter(
            q=self.cleaned_data.get("q") or "",
            group_id=int(group) if group.isdigit() else None,
            without_group=group == WITHOUT_GROUP,
        )


def _filtering(request, customer, data=None):
    """The filter form of the list (from ``data``, the GET by default) and the query
    that repeats it (the filter only: no page)."""
    data = request.GET if data is None else data
    groups = list(book.groups(customer))
    shown = {key: data.get(key, "") for key in ("q", "group") if data.get(key)}
    form = ContactFilterForm(shown or None, groups=groups)
    return form, groups, urlencode(shown)


class ContactForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=32,
        help_text=gettext_lazy("A Polish mobile number, e.g. 600 100 200 or +48 600 100 200."),
    )
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100, required=False)
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        required=False,
        error_messages={"invalid": gettext_lazy("Type an e-mail address like anna@example.pl.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    groups = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Groups"),
        queryset=ContactGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self, data, *, customer, names: dict[str, str], contact: Contact | None = None, initial=None
    ):
        super().__init__(data, initial=initial)
        self.fields["groups"].queryset = book.groups(customer)
        # The fields the customer named, and any other that holds a value (an import's).
        for field in CUSTOM_FIELDS:
            if field in names or (contact is not None and getattr(contact, field)):
                self.fields[field] = forms.CharField(
                    label=book.field_label(field, names), max_length=200, required=False
                )

    def clean_number(self):
        raw = self.cleaned_data["number"]
        if numbers.normalise_msisdn(raw) is None:
            raise forms.ValidationError(
                _(
                    "%(number)s is not a Polish mobile number. Type its 9 digits, e.g. "
                    "600 100 200, with or without +48."
                )
                % {"number": raw},
                code="invalid",
            )
        return raw

    @property
    def value_fields(self):
        return [self[name] for name in self.fields if name != "groups"]


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Group name"), max_length=100)


class FieldNamesForm(forms.Form):
    def __init__(self, *args, names: dict[str, str]):
        super().__init__(*args, initial=names)
        for i, field in enumerate(CUSTOM_FIELDS, 1):
            self.fields[field] = forms.CharField(
                label=_("Field %(n)s") % {"n": i}, max_length=50, required=False
            )


# -- contacts ----------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request):
    customer = _customer(request)
    form, groups, query = _filtering(request, customer)
    found = form.found()
    contacts = book.contacts_of(customer, found).prefetch_related("groups")
    page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    names = book.field_names(customer)
    rows = [
        (contact, [(label, getattr(contact, field)) for field, label in names.items()])
        for contact in page.object_list
    ]
    return _page(
        request,
        "panel/contacts/list.html",
        "contacts",
        form=form,
        page=page,
        rows=rows,
        names=names,
        groups=groups,
        query=query,
        filtered=found != book.Filter(),
        total=page.paginator.count,
    )


def _save(request, customer, form, contact=None):
    """The form's contact saved, or its errors added to it: True when saved."""
    values = {name: form.cleaned_data.get(name, "") for name in form.fields if name != "groups"}
    try:
        saved = book.save_contact(
            customer, values, contact=contact, groups=form.cleaned_data["groups"]
        )
    except book.InvalidNumber:  # the form checked it: a number that is no longer valid
        form.add_error("number", _("This is not a Polish mobile number."))
        return None
    except book.NumberTaken as taken:
        form.add_error(
            "number",
            format_html(
                _("{number} is already in your address book: {link}."),
                number=book.display_number(taken.contact.number),
                link=format_html(
                    '<a href="{}">{}</a>',
                    reverse("contact_edit", args=[taken.contact.pk]),
                    book.contact_name(taken.contact),
                ),
            ),
        )
        return None
    return saved


@login_required
def contact_add(request):
    customer = _customer(request)
    names = book.field_names(customer)
    form = ContactForm(request.POST or None, customer=customer, names=names)
    if request.method == "POST" and form.is_valid():
        contact = _save(request, customer, form)
        if contact is not None:
            messages.success(request, _("%(name)s added.") % {"name": book.contact_name(contact)})
            if "another" in request.POST:
                return redirect("contact_add")
            return redirect(reverse("contact_list") + "?" + urlencode({"q": contact.number}))
    return _page(request, "panel/contacts/form.html", "contacts", form=form, contact=None)


@login_required
def contact_edit(request, contact_id):
    customer = _customer(request)
    contact = get_object_or_404(book.contacts_of(customer), pk=contact_id)
    names = book.field_names(customer)
    initial = {name: getattr(contact, name) for name in ("number", *book.VALUE_FIELDS)}
    initial["number"] = book.display_number(contact.number)
    initial["groups"] = list(contact.groups.all())
    form = ContactForm(
        request.POST or None, customer=customer, names=names, contact=contact, initial=initial
    )
    if request.method == "POST" and form.is_valid() and _save(request, customer, form, contact):
        messages.success(request, _("%(name)s saved.") % {"name": book.contact_name(contact)})
        return redirect("contact_list")
    return _page(request, "panel/contacts/form.html", "contacts", form=form, contact=contact)


def _ask(request, *, title, what, yes, back, hidden=()):
    """The question before a destructive action (panel.confirm's pattern), for the
    address book's pages; ``hidden`` (name, value) pairs go back with the answer."""
    return render(
        request,
        "panel/contacts/confirm.html",
        {
            "tab": "contacts",
            "title": title,
            "what": what,
            "yes": yes,
            "back": back,
            "hidden": list(hidden),
            "field": confirm.FIELD,
            "value": confirm.YES,
        },
    )


@login_required
@confirm.asks_first
def contact_delete(request, contact_id):
    customer = _customer(request)
    contact = get_object_or_404(book.contacts_of(customer), pk=contact_id)
    if not confirm.confirmed(request):
        return _ask(
            request,
            title=_("Delete %(name)s from the address book?")
            % {"name": book.contact_name(contact)},
            what=[
                _(
                    "The contact %(number)s and its place in groups go for good; messages "
                    "sent to it stay in the history."
                )
                % {"number": book.display_number(contact.number)}
            ],
            yes=_("Yes, delete the contact"),
            back=reverse("contact_edit", args=[contact.pk]),
        )
    book.delete_contacts(customer, book.selected(customer, [contact.pk]))
    messages.success(request, _("%(name)s deleted.") % {"name": book.contact_name(contact)})
    return redirect("contact_list")


BULK_ACTIONS = ("add", "remove", "delete")


@login_required
@require_POST
def contact_bulk(request):
    """What the list's buttons do to the ticked contacts, or to all that match the
    list's search and filter (``scope=all``): add to a group, remove from one, delete
    (asking first)."""
    customer = _customer(request)
    form, _groups, query = _filtering(request, customer, request.POST)
    back = reverse("contact_list") + (f"?{query}" if query else "")
    action = request.POST.get("action")
    if action not in BULK_ACTIONS:
        return redirect(back)
    everything = request.POST.get("scope") == "all"
    ids = request.POST.getlist("contact")
    if everything and form.is_bound and not form.is_valid():
        # Never "all" for a search that filters nothing because it is wrong.
        messages.error(request, _("Correct the search first."))
        return redirect(back)
    if everything:
        chosen = book.contacts_of(customer, form.found())
    else:
        chosen = book.selected(customer, ids)
    count = chosen.count()
    if not count:
        messages.error(request, _("Tick the contacts first, or choose all that match."))
        return redirect(back)
    if action == "delete":
        return _bulk_delete(request, customer, chosen, count, everything, ids, back)
    group = book.groups(customer).filter(pk=_int(request.POST.get("to_group"))).first()
    if group is None:
        messages.error(request, _("Choose a group first."))
        return redirect(back)
    if action == "add":
        added = book.add_to_group(group, chosen)
        text = ngettext(
            "%(n)s contact added to the group %(group)s",
            "%(n)s contacts added to the group %(group)s",
            added,
        )
        already = count - added
    else:
        added = book.remove_from_group(group, chosen)
        text = ngettext(
            "%(n)s contact removed from the group %(group)s",
            "%(n)s contacts removed from the group %(group)s",
            added,
        )
        already = count - added
    done = text % {"n": added, "group": group.name}
    if already:
        if action == "add":
            rest = ngettext("%(n)s was in it already", "%(n)s were in it already", already) % {
                "n": already
            }
        else:
            rest = ngettext("%(n)s was not in it", "%(n)s were not in it", already) % {"n": already}
        done = f"{done} ({rest})."
    else:
        done += "."
    messages.success(request, done)
    return redirect(back)


def _bulk_delete(request, customer, chosen, count, everything, ids, back):
    if not confirm.confirmed(request):
        shown = [book.contact_name(contact) for contact in chosen[:5]]
        what = [", ".join(shown) + ("…" if count > len(shown) else "")]
        what.append(
            _(
                "They and their places in groups go for good; messages sent to them stay "
                "in the history."
            )
        )
        hidden = [("action", "delete")]
        if everything:
            hidden.append(("scope", "all"))
        else:
            hidden += [("contact", pk) for pk in chosen.values_list("pk", flat=True)]
        hidden += [(key, request.POST[key]) for key in ("q", "group") if request.POST.get(key)]
        return _ask(
            request,
            title=ngettext(
                "Delete %(n)s contact from the address book?",
                "Delete %(n)s contacts from the address book?",
                count,
            )
            % {"n": count},
            what=what,
            yes=ngettext("Yes, delete %(n)s contact", "Yes, delete %(n)s contacts", count)
            % {"n": count},
            back=back,
            hidden=hidden,
        )
    deleted = book.delete_contacts(customer, chosen)
    messages.success(
        request,
        ngettext("%(n)s contact deleted.", "%(n)s contacts deleted.", deleted) % {"n": deleted},
    )
    return redirect(back)


# -- exports -----------------------------------------------------------------------------


def _export(request, customer):
    form, _groups, _query = _filtering(request, customer)
    contacts = book.contacts_of(customer, form.found())
    return book.export_header(book.field_names(customer)), book.export_rows(contacts)


@login_required
@require_GET
def contacts_csv(request):
    """The list as filtered, as CSV (``?format=excel``: semicolons, for Excel in Polish),
    streamed."""
    header, rows = _export(request, _customer(request))
    cells = ([history.cell(value) for value in row] for row in rows)
    return history.csv_response("contacts", header, cells, history.dialect_of(request.GET))


@login_required
@require_GET
def contacts_xlsx(request):
    """The list as filtered, as an Excel workbook: written row by row (openpyxl's
    write-only mode) into a temporary file, which is then sent."""
    import openpyxl  # a second of import time, for this export only
    from openpyxl.cell import WriteOnlyCell

    header, rows = _export(request, _customer(request))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Contacts"))

    def text(value):
        # Every value is text: a name starting with "=" is not a formula (openpyxl would
        # write it as one), a number keeps its digits.
        if not value:
            return None  # no cell at all: a third of the time an empty one costs
        if not value.startswith("="):
            return value
        written = WriteOnlyCell(sheet, value=value)
        written.data_type = "s"
        return written

    sheet.append([text(title) for title in header])
    for row in rows:
        sheet.append([text(value) for value in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(out)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename="contacts.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# -- groups ------------------------------------------------------------------------------


@login_required
def contact_groups(request):
    customer = _customer(request)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = book.create_group(customer, form.cleaned_data["name"])
        except book.GroupNameTaken as taken:
            form.add_error("name", _group_taken(taken))
        else:
            messages.success(request, _("Group %(name)s created.") % {"name": group.name})
            return redirect("contact_groups")
    groups = book.groups_of(customer).order_by("name")
    return _page(
        request,
        "panel/contacts/groups.html",
        "groups",
        form=form,
        groups=groups,
        without=book.contacts_of(customer, book.Filter(without_group=True)).count(),
    )


def _group_taken(taken: book.GroupNameTaken) -> str:
    return _("You have a group named %(name)s already: choose another name.") % {
        "name": taken.group.name
    }


def _own_group(request, group_id) -> ContactGroup:
    return get_object_or_404(book.groups(_customer(request)), pk=group_id)


@login_required
def contact_group_edit(request, group_id):
    group = _own_group(request, group_id)
    form = GroupForm(request.POST or None, initial={"name": group.name})
    if request.method == "POST" and form.is_valid():
        old = group.name
        try:
            book.rename_group(group, form.cleaned_data["name"])
        except book.GroupNameTaken as taken:
            form.add_error("name", _group_taken(taken))
        else:
            messages.success(
                request,
                _("Group %(old)s renamed to %(name)s.") % {"old": old, "name": group.name},
            )
            return redirect("contact_groups")
    return _page(
        request,
        "panel/contacts/group_form.html",
        "groups",
        form=form,
        group=group,
        size=group.contacts.count(),
    )


@login_required
@confirm.asks_first
def contact_group_delete(request, group_id):
    group = _own_group(request, group_id)
    if not confirm.confirmed(request):
        size = group.contacts.count()
        holds = ngettext(
            "It holds %(n)s contact: it stays in the address book, only the group goes.",
            "It holds %(n)s contacts: they stay in the address book, only the group goes.",
            size,
        ) % {"n": size}
        return _ask(
            request,
            title=_("Delete the group %(name)s?") % {"name": group.name},
            what=[holds],
            yes=_("Yes, delete the group"),
            back=reverse("contact_groups"),
        )
    book.delete_group(group)
    messages.success(request, _("Group %(name)s deleted.") % {"name": group.name})
    return redirect("contact_groups")


# -- custom field names ------------------------------------------------------------------


@login_required
def contact_fields(request):
    customer = _customer(request)
    form = FieldNamesForm(request.POST or None, names=book.field_names(customer))
    if request.method == "POST" and form.is_valid():
        book.save_field_names(customer, form.cleaned_data)
        messages.success(request, _("Field names saved."))
        return redirect("contact_fields")
    return _page(request, "panel/contacts/fields.html", "fields", form=form)


def private(route, view, **kwargs):
    # As panel.urls.private: never kept by the browser or a proxy.
    return path(route, never_cache(view), **kwargs)


urlpatterns = [
    private("", contact_list, name="contact_list"),
    private("add/", contact_add, name="contact_add"),
    private("selected/", contact_bulk, name="contact_bulk"),
    private("export.csv", contacts_csv, name="contacts_csv"),
    private("export.xlsx", contacts_xlsx, name="contacts_xlsx"),
    private("<int:contact_id>/", contact_edit, name="contact_edit"),
    private("<int:contact_id>/delete/", contact_delete, name="contact_delete"),
    private("groups/", contact_groups, name="contact_groups"),
    private("groups/<int:group_id>/", contact_group_edit, name="contact_group_edit"),
    private("groups/<int:group_id>/delete/", contact_group_delete, name="contact_group_delete"),
    private("fields/", contact_fields, name="contact_fields"),
]
