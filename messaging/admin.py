from django import forms
from django.contrib import admin, messages
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.models import Service, ServiceKind

from . import numbers, services, stoplist
from .forms import IncomingSmsForm
from .models import (
    Callback,
    CallbackAttempt,
    CallbackHost,
    ContentRule,
    IncomingMessage,
    Message,
    PlatformStopEntry,
    Recipient,
    StopChange,
    StopEntry,
    StopSettings,
    StopVia,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Messages change only through the pipeline and the workers, never by hand."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.display(description=_("Message ID"), ordering="message_id")
def message_number(obj):
    """The message's id as a column: listed as ``message_id`` (a foreign key's
    column), Django titles it "Message id" in every language."""
    return obj.message_id


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "service",
        "source",
        "created_at",
        "send_at",
        "recipient_count",
        "parts",
        "route",
        "price",
    ]
    list_filter = ["source", "route", "encoding", "express", "flash", "forced"]
    search_fields = ["=id", "text", "user_flag", "service__name", "service__api_username"]
    date_hierarchy = "created_at"
    list_select_related = ["service"]
    show_full_result_count = False


@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        message_number,
        "number",
        "status",
        "status_at",
        "delivered_at",
        "refunded",
        "gateway",
        "gateway_ref",
        "deleted_at",
    ]
    list_filter = ["status", "refunded", "gateway"]
    search_fields = ["=id", "=number", "=message__id"]
    show_full_result_count = False


class StaffIncomingSmsForm(IncomingSmsForm):
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(kind=ServiceKind.TWO_WAY).order_by("name"),
        help_text=_("Two-way services only: one-way services do not receive SMS."),
    )
    field_order = ["service", "from_number", "to_number", "text"]


@admin.register(IncomingMessage)
class IncomingMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "service", "from_number", "to_number", "text"]
    search_fields = ["from_number", "to_number", "text", "service__name"]
    list_select_related = ["service"]
    change_list_template = "admin/messaging/incomingmessage/change_list.html"

    def get_urls(self):
        inject = self.admin_site.admin_view(self.inject_view)
        return [path("inject/", inject, name="messaging_incoming_inject"), *super().get_urls()]

    def inject_view(self, request):
        """Staff play the simulator gateway: the SMS takes the path of incoming/<sms_hash>/."""
        if not request.user.has_perm("messaging.view_incomingmessage"):
            return redirect("admin:index")
        form = StaffIncomingSmsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            incoming = services.store_incoming(
                data["service"].pk, data["from_number"], data["to_number"], data["text"], None
            )
            self.message_user(
                request,
                _("Incoming SMS stored for %(service)s.") % {"service": data["service"]},
                messages.SUCCESS,
            )
            return redirect("admin:messaging_incomingmessage_change", incoming.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Inject an incoming SMS (simulator)"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/messaging/incomingmessage/inject.html", context)


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    can_delete = False
    fields = ["at", "url", "http_status", "ok", "error", "response_excerpt", "duration_ms"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "service",
        "kind",
        message_number,
        "url",
        "record_count",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["kind", "state"]
    search_fields = ["=message__id", "url", "service__name"]
    list_select_related = ["service"]
    show_full_result_count = False
    inlines = [CallbackAttemptInline]


@admin.register(CallbackHost)
class CallbackHostAdmin(ReadOnlyAdmin):
    """Receivers that stopped answering; deleting one lets its callbacks go at once."""

    list_display = ["host", "failures", "blocked_until", "last_error", "updated_at"]
    search_fields = ["host"]

    def has_delete_permission(self, request, obj=None):
        return True


@admin.register(ContentRule)
class ContentRuleAdmin(admin.ModelAdmin):
    list_display = ["pattern", "kind", "reason", "enabled"]
    list_filter = ["kind", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["pattern", "reason"]


# -- stoplists (messaging.stoplist) ------------------------------------------------------------


class StopEntryAdminBase(admin.ModelAdmin):
    """Entries change through messaging.stoplist, so that each change is logged (via admin,
    by the staff user); an entry is added or removed, never edited."""

    list_display = ["number", "created_at"]
    search_fields = ["number"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ["number"]

    def customer_of(self, obj):
        return obj.customer_id

    def save_model(self, request, obj, form, change):
        added, _invalid = stoplist.add(
            self.customer_of(obj), [obj.number], StopVia.ADMIN, user=request.user
        )
        found = StopEntry.objects.filter(
            customer_id=self.customer_of(obj),
            number=numbers.normalise_msisdn(obj.number) or obj.number,
        ).first()
        if found is not None:
            obj.pk = found.pk

    def delete_model(self, request, obj):
        stoplist.remove(obj.customer_id, [obj.number], StopVia.ADMIN, user=request.user)

    def delete_queryset(self, request, queryset):
        for customer_id in set(queryset.values_list("customer_id", flat=True)):
            numbers_of = queryset.filter(customer_id=customer_id).values_list("number", flat=True)
            stoplist.remove(customer_id, list(numbers_of), StopVia.ADMIN, user=request.user)


class StopEntryForm(forms.ModelForm):
    def clean_number(self):
        number = numbers.normalise_msisdn(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(_("Not a Polish mobile number."))
        return number


@admin.register(PlatformStopEntry)
class PlatformStopEntryAdmin(StopEntryAdminBase):
    """The platform's list: numbers no customer may send to."""

    form = StopEntryForm

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__isnull=True)

    def customer_of(self, obj):
        return None


@admin.register(StopEntry)
class StopEntryAdmin(StopEntryAdminBase):
    """The customers' lists, each entry with its customer."""

    form = StopEntryForm
    list_display = ["number", "customer", "created_at"]
    list_select_related = ["customer"]
    search_fields = ["number", "customer__name"]
    autocomplete_fields = ["customer"]

    def get_fields(self, request, obj=None):
        return ["customer", "number"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer__isnull=False)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields["customer"].required = True
        return form


@admin.register(StopChange)
class StopChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "number", "customer", "action", "via", "user", "incoming"]
    list_filter = ["action", "via"]
    search_fields = ["number", "customer__name"]
    list_select_related = ["customer", "user", "incoming"]
    date_hierarchy = "at"


@admin.register(StopSettings)
class StopSettingsAdmin(admin.ModelAdmin):
    list_display = ["customer", "confirm", "stop_text"]
    search_fields = ["customer__name"]
    autocomplete_fields = ["customer"]
