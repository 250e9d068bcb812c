from django.contrib import admin
from django.db import models

from .models import ContentRule, IncomingMessage, Message, Recipient


class ReadOnlyAdmin(admin.ModelAdmin):
    """Messages change only through the pipeline and the workers, never by hand."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    list_display = ["id", "message_id", "number", "status", "status_at", "delivered_at", "refunded"]
    list_filter = ["status", "refunded"]
    search_fields = ["=id", "=number", "=message__id"]
    show_full_result_count = False


@admin.register(IncomingMessage)
class IncomingMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "service", "from_number", "to_number", "text"]
    search_fields = ["from_number", "to_number", "text", "service__name"]
    list_select_related = ["service"]


@admin.register(ContentRule)
class ContentRuleAdmin(admin.ModelAdmin):
    list_display = ["pattern", "kind", "reason", "enabled"]
    list_filter = ["kind", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["pattern", "reason"]
