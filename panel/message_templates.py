"""Message templates: texts a customer saves (name, text) and inserts into the send form of
any of their services.

The send form offers them in a "Insert template" list: with JavaScript (static
panel/templates.js) choosing one puts its text into the message field and the counter
recounts; without it, the list's button posts the form back here (``send_form``), which
shows it again, as typed, with the template's text in the message field, sending nothing.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts.models import MessageTemplate

from . import confirm
from .contacts_import import customer_of
from .sending import SendForm

# The send form's button that inserts the chosen template (the page without JavaScript).
INSERT = "insert_template"
TEMPLATE = "template"


def of_user(user):
    """The signed-in customer's templates (none for a user with no customer)."""
    return MessageTemplate.objects.filter(customer__user=user).order_by("name")


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = MessageTemplate.objects.filter(customer=self.instance.customer, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("You have a template of this name already."))
        return name


@login_required
def template_list(request):
    customer_of(request)
    return render(request, "panel/templates/list.html", {"templates": of_user(request.user)})


def _edit(request, instance):
    customer = customer_of(request)
    form = TemplateForm(request.POST or None, instance=instance, customer=customer)
    if request.method == "POST" and form.is_valid():
        form.instance.updated_at = timezone.now()
        try:
            with transaction.atomic():
                template = form.save()
        except IntegrityError:  # the same name saved meanwhile
            form.add_error("name", _("You have a template of this name already."))
        else:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": template.name})
            return redirect("template_list")
    return render(request, "panel/templates/edit.html", {"form": form, "template": instance})


@login_required
def template_add(request):
    return _edit(request, None)


@login_required
def template_edit(request, template_id):
    return _edit(request, get_object_or_404(of_user(request.user), pk=template_id))


@login_required
@confirm.asks_first
def template_delete(request, template_id):
    template = get_object_or_404(of_user(request.user), pk=template_id)
    if not confirm.confirmed(request):
        return render(
            request,
            "panel/templates/confirm_delete.html",
            {
                "template": template,
                "title": _("Delete the template “%(name)s”?") % {"name": template.name},
                "back": reverse("template_list"),
                "field": confirm.FIELD,
                "value": confirm.YES,
            },
        )
    template.delete()
    messages.success(request, _("Template “%(name)s” deleted.") % {"name": template.name})
    return redirect("template_list")


def send_form(request, service) -> SendForm:
    """The send page's form. ``?template=<id>`` (a link) or the form posted by its "Insert"
    button (no JavaScript) gives the form with that template's text in the message field,
    the rest as typed, and sends nothing: the form is unbound."""
    inserting = request.method == "POST" and INSERT in request.POST
    chosen = request.POST.get(TEMPLATE) if inserting else request.GET.get(TEMPLATE)
    template = None
    if chosen and chosen.isdigit():
        template = of_user(request.user).filter(pk=chosen).first()
    if inserting:
        # Shown again as typed (a chosen file cannot be), never sent.
        typed = {k: v for k, v in request.POST.dict().items() if k not in SKIPPED}
        if template is not None:
            typed["text"] = template.text
        return SendForm(initial=typed, service=service)
    if template is not None and request.method == "GET":
        return SendForm(initial={"text": template.text}, service=service)
    return SendForm(request.POST or None, request.FILES or None, service=service)


# What the insert button's post does not show again: a fresh one-time token is made.
SKIPPED = {INSERT, TEMPLATE, "csrfmiddlewaretoken", "token"}
