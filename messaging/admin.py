from django import forms
from django.contrib import admin, messages
from django.db import models
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.models import Service, ServiceKind

from . import services
from .forms import IncomingSmsForm
from .models import (
    Callback,
    CallbackAttempt,
    CallbackHost,
    ContentRule,
    IncomingMessage,
    Message,
    Recipient,
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
