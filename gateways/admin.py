from django.contrib import admin

from .models import Gateway, GatewayPort, SimulatedSms


class GatewayPortInline(admin.TabularInline):
    model = GatewayPort
    extra = 0
    fields = ["alias", "service", "port", "number", "enabled"]
    autocomplete_fields = ["service"]


@admin.register(Gateway)
class GatewayAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "driver",
        "enabled",
        "serves_standard",
        "serves_premium",
        "priority",
        "polled_at",
    ]
    list_filter = ["driver", "enabled"]
    list_editable = ["enabled", "priority"]
    search_fields = ["name"]
    readonly_fields = ["polled_at", "created_at"]
    inlines = [GatewayPortInline]

    def get_inlines(self, request, obj):
        # Ports belong to GSM devices only.
        return self.inlines if obj is not None and obj.is_gsm else []


@admin.register(GatewayPort)
class GatewayPortAdmin(admin.ModelAdmin):
    list_display = ["alias", "gateway", "port", "service", "number", "enabled"]
    list_filter = ["gateway", "enabled"]
    search_fields = ["alias", "number", "service__name"]
    autocomplete_fields = ["service"]
    list_select_related = ["gateway", "service"]


@admin.register(SimulatedSms)
class SimulatedSmsAdmin(admin.ModelAdmin):
    """What the simulator "sent": read-only, for checking a demo or a test run."""

    list_display = ["recipient_id", "number", "sender", "sent_at", "report_at", "reported"]
    list_filter = ["reported", "gateway"]
    search_fields = ["=recipient_id", "=number"]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
