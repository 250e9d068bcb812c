from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lib import l10n

from . import audit, ledger
from .models import (
    AllowedAddress,
    AuditAction,
    AuditEntry,
    Customer,
    LedgerEntry,
    LedgerKind,
    QuietHours,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
    Service,
    StateChangeRefused,
    Tariff,
)
from .signals import senders_moderated


def _created(obj, names) -> dict:
    """{field: [None, value]} of a new object's fields that hold something."""
    values = audit.snapshot(obj, names)
    return {name: [None, value] for name, value in values.items() if value not in (None, "")}


class AuditedAdmin:
    """Staff's saves and deletions here go into the audit log (accounts.audit), in the
    transaction admin wraps each of them in: the fields the form changed, before → after."""

    audit_created: str
    audit_changed: str
    audit_deleted: str | None = None
    # What a deletion records of the object (None: every field but its id).
    audit_deleted_fields: list[str] | None = None

    def audit_service(self, obj):
        return None

    def audit_target(self, obj) -> str:
        return ""

    def _audit(self, action, obj, changes):
        if changes:
            audit.record(
                action,
                service=self.audit_service(obj),
                obj=obj,
                target=self.audit_target(obj),
                changes=changes,
            )

    def save_model(self, request, obj, form, change):
        changes = audit.form_changes(form) if change else None
        super().save_model(request, obj, form, change)
        if not change:
            model_fields = {f.name for f in obj._meta.concrete_fields}
            changes = _created(obj, [name for name in form.fields if name in model_fields])
        self._audit(self.audit_changed if change else self.audit_created, obj, changes)

    def _audit_deletion(self, obj):
        if self.audit_deleted:
            names = self.audit_deleted_fields or [
                f.name for f in obj._meta.concrete_fields if not f.primary_key
            ]
            before = audit.snapshot(obj, names)
            self._audit(
                self.audit_deleted, obj, {n: [v, None] for n, v in before.items() if v is not None}
            )

    def delete_model(self, request, obj):
        self._audit_deletion(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self._audit_deletion(obj)
            super().delete_queryset(request, queryset)


def save_audited_formset(formset, action, service_of, target_of=str, deleted=None):
    """Save an inline formset and record each row it added or changed, and, with
    ``deleted`` (an action and the fields to keep), each row it deletes."""
    done = []
    removing = set(map(id, formset.deleted_forms)) if formset.can_delete else set()
    for form in formset.forms:
        obj = form.instance
        if id(form) in removing:
            if deleted is not None and obj.pk is not None:
                removed, fields = deleted
                before = audit.snapshot(obj, fields)
                changes = {n: [v, None] for n, v in before.items() if v not in (None, "")}
                service, target = service_of(obj), target_of(obj)
                audit.record(removed, service=service, obj=obj, target=target, changes=changes)
            continue
        if not form.has_changed():
            continue
        done.append((form, audit.form_changes(form) if obj.pk else None))
    formset.save()
    for form, changes in done:
        obj = form.instance
        if changes is None:
            changes = _created(obj, form.changed_data)
        if changes:
            audit.record(
                action, service=service_of(obj), obj=obj, target=target_of(obj), changes=changes
            )


class ServiceInline(admin.TabularInline):
    model = Service
    fields = ["name", "kind", "state", "balance", "api_username"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "email", "language", "service_count", "created_at"]
    search_fields = ["name", "user__username", "user__email", "phone"]
    list_filter = ["language", "created_at"]
    autocomplete_fields = ["user"]
    inlines = [ServiceInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(_services=Count("services"))
        )

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("services"), ordering="_services")
    def service_count(self, obj):
        return obj._services


@admin.register(Tariff)
class TariffAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_created = AuditAction.TARIFF_CREATED
    audit_changed = AuditAction.TARIFF_CHANGED
    audit_deleted = AuditAction.TARIFF_DELETED

    list_display = [
        "name",
        "standard_part_price",
        "premium_part_price",
        "own_gateway_part_price",
        "is_default",
    ]
    list_filter = ["is_default"]
    search_fields = ["name"]

    def audit_target(self, obj):
        return obj.name


class AllowedAddressInline(admin.TabularInline):
    model = AllowedAddress
    fields = ["network", "note", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0


class SenderIdInline(admin.TabularInline):
    model = SenderId
    fields = ["name", "status", "comment", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    show_change_link = True


class QuietHoursInline(admin.StackedInline):
    """A service's sending window (README "Quiet hours"); its rules are the model's."""

    model = QuietHours
    can_delete = False
    max_num = 1
    # A day's two times on one line (fieldsets: get_fields then lists them one by one).
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "enabled",
                    ("monday_from", "monday_until"),
                    ("tuesday_from", "tuesday_until"),
                    ("wednesday_from", "wednesday_until"),
                    ("thursday_from", "thursday_until"),
                    ("friday_from", "friday_until"),
                    ("saturday_from", "saturday_until"),
                    ("sunday_from", "sunday_until"),
                ]
            },
        )
    ]


class MoneyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("operation"),
        choices=[(LedgerKind.TOP_UP, _("top-up")), (LedgerKind.ADJUSTMENT, _("adjustment"))],
    )
    amount = forms.DecimalField(
        label=_("amount (PLN)"),
        max_digits=14,
        decimal_places=4,
        help_text=_("A top-up is positive; an adjustment may be negative."),
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        amount = data.get("amount")
        if amount is None:
            return data
        if amount == 0:
            self.add_error("amount", _("Enter an amount other than zero."))
        elif data.get("kind") == LedgerKind.TOP_UP and amount < 0:
            self.add_error(
                "amount", _("A top-up must be positive; use an adjustment to take money away.")
            )
        return data


@admin.register(Service)
class ServiceAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_created = AuditAction.SERVICE_CREATED
    audit_changed = AuditAction.SERVICE_CHANGED

    list_display = [
        "id",
        "name",
        "customer",
        "kind",
        "state",
        "balance",
        "credit_limit",
        "api_username",
        "created_at",
    ]
    list_display_links = ["id", "name"]
    list_filter = ["state", "kind", "tariff", "created_at"]
    search_fields = ["name", "customer__name", "customer__user__username", "api_username"]
    list_select_related = ["customer"]
    autocomplete_fields = ["customer"]
    readonly_fields = [
        "balance",
        "money_link",
        "api_password_state",
        "sms_hash_state",
        "created_at",
        "activated_at",
    ]
    fieldsets = [
        (None, {"fields": ["customer", "name", "kind", "state", "tariff"]}),
        (_("Money"), {"fields": ["balance", "credit_limit", "money_link"]}),
        (
            _("API"),
            {"fields": ["api_username", "api_password_state", "sms_hash_state", "callback_url"]},
        ),
        (_("Dates"), {"fields": ["created_at", "activated_at"]}),
    ]
    inlines = [AllowedAddressInline, SenderIdInline, QuietHoursInline]
    actions = ["activate", "block_by_staff", "unblock_by_staff"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def audit_service(self, obj):
        return obj

    def save_formset(self, request, form, formset, change):
        if formset.model is SenderId:
            save_audited_formset(
                formset,
                AuditAction.SENDER_MODERATED,
                lambda s: s.service,
                deleted=(AuditAction.SENDER_DELETED, SenderIdAdmin.audit_deleted_fields),
            )
        elif formset.model is QuietHours:
            save_audited_formset(formset, AuditAction.SERVICE_CHANGED, lambda q: q.service)
        else:
            super().save_formset(request, form, formset, change)  # the allowlist: signals

    @admin.display(description=_("API password"))
    def api_password_state(self, obj):
        return _("set (stored as a digest; the customer regenerates it in the panel)")

    @admin.display(description=_("SMS hash"))
    def sms_hash_state(self, obj):
        return _("set (stored as a digest; the customer regenerates it in the panel)")

    @admin.display(description=_("ledger"))
    def money_link(self, obj):
        if obj.pk is None:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a> <a href="{}?service__id__exact={}">{}</a>',
            reverse("admin:accounts_service_money", args=[obj.pk]),
            _("Top up / adjust balance"),
            reverse("admin:accounts_ledgerentry_changelist"),
            obj.pk,
            _("ledger entries"),
        )

    def _each(self, request, queryset, method, done_message):
        changed = 0
        for service in queryset:
            try:
                getattr(service, method)()
                changed += 1
            except StateChangeRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if changed:
            self.message_user(request, done_message % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Activate selected services"), permissions=["change"])
    def activate(self, request, queryset):
        self._each(request, queryset, "activate", _("%(n)d service(s) activated."))

    @admin.action(description=_("Block selected services (106)"), permissions=["change"])
    def block_by_staff(self, request, queryset):
        self._each(request, queryset, "block_by_staff", _("%(n)d service(s) blocked."))

    @admin.action(
        description=_("Lift the staff block of selected services"), permissions=["change"]
    )
    def unblock_by_staff(self, request, queryset):
        self._each(request, queryset, "unblock_by_staff", _("%(n)d service(s) unblocked."))

    def get_urls(self):
        return [
            path(
                "<int:pk>/money/",
                self.admin_site.admin_view(self.money_view),
                name="accounts_service_money",
            )
        ] + super().get_urls()

    def money_view(self, request, pk):
        service = get_object_or_404(Service, pk=pk)
        if not self.has_change_permission(request, service):
            raise PermissionDenied
        form = MoneyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            operation = ledger.top_up if data["kind"] == LedgerKind.TOP_UP else ledger.adjust
            result = operation(service.pk, data["amount"], user=request.user, note=data["note"])
            self.message_user(
                request,
                _("%(kind)s of %(amount)s recorded; balance now %(balance)s.")
                % {
                    "kind": result.entry.get_kind_display(),
                    "amount": l10n.money(result.entry.amount, 4),
                    "balance": l10n.money(result.balance),
                },
                messages.SUCCESS,
            )
            return redirect("admin:accounts_service_change", service.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": service,
            "form": form,
            "title": _("Top up / adjust balance: %s") % service,
        }
        return TemplateResponse(request, "admin/accounts/service/money.html", context)


@admin.register(AllowedAddress)
class AllowedAddressAdmin(admin.ModelAdmin):
    list_display = ["network", "service", "note", "created_at"]
    search_fields = ["network", "service__name", "service__customer__name"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Read-only: money moves only through the ledger service functions."""

    list_display = [
        "created_at",
        "service",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "description",
        "created_by",
    ]
    list_filter = ["kind", "reason", "created_at"]
    search_fields = ["service__name", "service__customer__name", "reference", "note"]
    list_select_related = ["service", "created_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("description"))
    def description(self, entry):
        return entry.description


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: entries are written by accounts.audit only, and never
    changed or deleted (the model and, on PostgreSQL, a trigger refuse it too)."""

    list_display = [
        "created_at",
        "actor_kind",
        "actor_label",
        "address",
        "customer_label",
        "service_label",
        "action",
        "target",
        "what_changed",
    ]
    list_filter = ["action", "actor_kind", "created_at"]
    search_fields = [
        "actor_label",
        "address",
        "customer_label",
        "service_label",
        "target",
    ]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "actor_kind",
        "actor_label",
        "address",
        "customer_label",
        "service_label",
        "action",
        "target",
        "what_changed",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what changed"))
    def what_changed(self, entry):
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            "{}: {} → {}",
            ((c.label, c.before, c.after) for c in audit.changes_of(entry)),
        )


class ConfiguredOperators:
    """The operator field offers the platform's networks (settings.SENDER_NAME_OPERATORS)
    by name, and only their rows are shown: seed 004's columns are SMSC's wire only."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(operator__in=settings.SENDER_NAME_OPERATORS)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "operator":
            return forms.ChoiceField(
                label=capfirst(db_field.verbose_name),
                choices=list(settings.SENDER_NAME_OPERATORS.items()),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class OperatorStatusFormSet(BaseInlineFormSet):
    """One row per configured operator: those with no status recorded come as extra rows
    already naming it, so staff only pick the status (an extra row left as it is saves
    nothing: no row reads as awaiting registration)."""

    def __init__(self, *args, instance=None, **kwargs):
        recorded = set()
        if instance is not None and instance.pk:
            recorded = set(instance.operator_registrations.values_list("operator", flat=True))
        kwargs.setdefault(
            "initial",
            [{"operator": c} for c in settings.SENDER_NAME_OPERATORS if c not in recorded],
        )
        super().__init__(*args, instance=instance, **kwargs)


class OperatorFilter(admin.SimpleListFilter):
    title = _("operator")
    parameter_name = "operator"

    def lookups(self, request, model_admin):
        return list(settings.SENDER_NAME_OPERATORS.items())

    def queryset(self, request, queryset):
        return queryset.filter(operator=self.value()) if self.value() else queryset


class SenderOperatorStatusInline(ConfiguredOperators, admin.TabularInline):
    model = SenderOperatorStatus
    formset = OperatorStatusFormSet
    fields = ["operator", "status", "updated_at"]
    readonly_fields = ["updated_at"]
    verbose_name_plural = _("Operator registration")
    can_delete = False

    def get_extra(self, request, obj=None, **kwargs):
        recorded = set()
        if obj is not None:
            recorded = set(obj.operator_registrations.values_list("operator", flat=True))
        return len(set(settings.SENDER_NAME_OPERATORS) - recorded)

    def get_max_num(self, request, obj=None, **kwargs):
        return len(settings.SENDER_NAME_OPERATORS)


def _operator_target(row) -> str:
    operator = settings.SENDER_NAME_OPERATORS.get(row.operator, row.operator)
    return f"{row.sender.name} · {operator}"


@admin.register(SenderOperatorStatus)
class SenderOperatorStatusAdmin(AuditedAdmin, ConfiguredOperators, admin.ModelAdmin):
    """Every name's status at one operator, e.g. all still submitted at Play."""

    audit_created = audit_changed = AuditAction.SENDER_OPERATOR

    def audit_service(self, obj):
        return obj.sender.service

    def audit_target(self, obj):
        return _operator_target(obj)

    list_display = ["sender", "service", "operator_name", "status", "updated_at"]
    list_filter = [OperatorFilter, "status"]
    list_editable = ["status"]
    search_fields = ["sender__name", "sender__service__name"]
    list_select_related = ["sender__service"]
    autocomplete_fields = ["sender"]
    readonly_fields = ["updated_at"]

    @admin.display(description=_("service"), ordering="sender__service")
    def service(self, obj):
        return obj.sender.service

    @admin.display(description=_("operator"), ordering="operator")
    def operator_name(self, obj):
        return settings.SENDER_NAME_OPERATORS.get(obj.operator, obj.operator)


@admin.register(SenderId)
class SenderIdAdmin(AuditedAdmin, admin.ModelAdmin):
    audit_created = audit_changed = AuditAction.SENDER_MODERATED
    audit_deleted = AuditAction.SENDER_DELETED
    audit_deleted_fields = ["name", "status", "comment"]

    list_display = ["name", "service", "status", "created_at", "updated_at"]
    list_filter = ["status", "created_at"]
    list_editable = ["status"]
    search_fields = ["name", "service__name", "service__customer__name"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["service", "name", "status", "comment", "confirmed_at"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [SenderOperatorStatusInline]
    actions = ["allow", "disable"]

    def audit_service(self, obj):
        return obj.service

    def audit_target(self, obj):
        return obj.name

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "status" in form.changed_data and obj.status != SenderStatus.PENDING:
            senders_moderated.send(sender=SenderId, senders=[obj])

    def save_formset(self, request, form, formset, change):
        save_audited_formset(
            formset, AuditAction.SENDER_OPERATOR, lambda row: row.sender.service, _operator_target
        )

    def _set_status(self, request, queryset, status):
        with transaction.atomic():
            changed = list(
                queryset.exclude(status=status).select_related("service__customer__user")
            )
            n = queryset.update(status=status)
            for sender in changed:
                audit.record(
                    AuditAction.SENDER_MODERATED,
                    service=sender.service,
                    obj=sender,
                    target=sender.name,
                    changes={"status": [sender.status, status]},
                )
                sender.status = status
        if changed:
            senders_moderated.send(sender=SenderId, senders=changed)
        self.message_user(
            request,
            _("%(n)d sender ID(s) now %(status)s.")
            % {"n": n, "status": SenderStatus(status).label},
            messages.SUCCESS,
        )

    @admin.action(description=_("Allow selected sender IDs"), permissions=["change"])
    def allow(self, request, queryset):
        self._set_status(request, queryset, SenderStatus.ALLOWED)

    @admin.action(description=_("Disable selected sender IDs"), permissions=["change"])
    def disable(self, request, queryset):
        self._set_status(request, queryset, SenderStatus.DISABLED)


admin.site.site_header = _("SMS platform administration")
admin.site.site_title = _("SMS platform")


@admin.register(QuietHours)
class QuietHoursAdmin(AuditedAdmin, admin.ModelAdmin):
    """Every service's quiet hours in one list; each is edited on its service's page too."""

    audit_created = audit_changed = AuditAction.SERVICE_CHANGED
    list_display = ["service", "enabled", "updated_at"]
    list_filter = ["enabled"]
    search_fields = ["service__name", "service__customer__name"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]
    fieldsets = [(None, {"fields": ["service", *QuietHoursInline.fieldsets[0][1]["fields"]]})]

    def audit_service(self, obj):
        return obj.service

    def has_delete_permission(self, request, obj=None):
        return False  # switched off, not deleted: the audit log keeps each change
