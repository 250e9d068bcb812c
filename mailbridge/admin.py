from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditedAdmin
from accounts.models import AuditAction

from . import recipients
from .models import (
    EDITABLE_FIELDS,
    AuthorisedSender,
    InboundMail,
    OutboundMail,
    Outcome,
    RecipientAddress,
    Sms2EmailSettings,
)
from .senders import check_entries, set_authorised, split_addresses


class Sms2EmailSettingsForm(forms.ModelForm):
    class Meta:
        model = Sms2EmailSettings
        fields = ["service", "enabled", *EDITABLE_FIELDS]

    def clean_authorised_senders(self):
        text = self.cleaned_data.get("authorised_senders", "")
        return ", ".join(check_entries(self.instance, text))

    def clean_incoming_recipients(self):
        return ", ".join(recipients.check_addresses(self.cleaned_data["incoming_recipients"]))


class AuthorisedSenderInline(admin.TabularInline):
    model = AuthorisedSender
    extra = 0
    readonly_fields = ["entry"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # edited through "Authorised SMS senders", which checks other services


class RecipientAddressInline(admin.TabularInline):
    model = RecipientAddress
    extra = 0
    fields = readonly_fields = ["address", "confirmed_at", "asked_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # edited through "Recipients of incoming SMS", which mails the link


@admin.register(Sms2EmailSettings)
class Sms2EmailSettingsAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_created = audit_changed = AuditAction.SMS2EMAIL_SETTINGS
    list_display = ["service", "enabled", "accept_unsecured", "accept_password", "accept_md5"]
    list_filter = ["enabled", "require_pgp", "ups_enabled"]
    search_fields = ["service__name", "service__customer__name", "authorised_senders"]
    readonly_fields = ["ups_subdomain"]
    inlines = [AuthorisedSenderInline, RecipientAddressInline]
    form = Sms2EmailSettingsForm

    def audit_service(self, obj):
        return obj.service

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # and its audit entry
        set_authorised(obj, obj.authorised_senders)
        addresses = split_addresses(obj.incoming_recipients)
        recipients.set_addresses(obj, addresses, recipients.link_for(request))


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = [
        "received_at", "sender", "recipient", "subject", "outcome", "reason", "service",
        "reply_state", "reply_error",
    ]  # fmt: skip
    list_filter = ["outcome", "reply_state", ("service", admin.EmptyFieldListFilter)]
    actions = ["send_reply_again"]

    @admin.action(description=_("Send the reply to the selected refused mail again"))
    def send_reply_again(self, request, queryset):
        from django.utils import timezone

        from .models import ReplyState
        from .replies import send_after_commit

        count = queryset.filter(outcome=Outcome.REFUSED).exclude(reply_state=ReplyState.NONE)
        count = count.update(
            reply_state=ReplyState.PENDING, reply_due_at=timezone.now(), reply_attempts=0
        )
        send_after_commit()
        self.message_user(
            request, _("%(count)d reply(ies) queued to be sent again.") % {"count": count}
        )

    search_fields = ["sender", "recipient", "subject", "mail_id"]
    readonly_fields = [f.name for f in InboundMail._meta.fields]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("service"))
    def service_name(self, obj):
        return obj.service or _("(unknown sender)")


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at", "kind", "service", "to", "subject", "state", "attempts", "last_error"
    ]  # fmt: skip
    list_filter = ["kind", "state"]
    actions = ["send_again"]
    search_fields = ["to", "from_address", "subject"]
    readonly_fields = [f.name for f in OutboundMail._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected mail again"))
    def send_again(self, request, queryset):
        from .outbound import send_again

        count = send_again(queryset)
        self.message_user(
            request, _("%(count)d mail(s) queued to be sent again.") % {"count": count}
        )
