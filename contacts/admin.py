from django.contrib import admin

from .models import Contact, ContactFields, ContactGroup, ContactImport, MessageTemplate


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("number", "first_name", "last_name", "email", "customer", "updated_at")
    search_fields = ("number", "last_name", "first_name", "email", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    filter_horizontal = ("groups",)
    show_full_result_count = False


@admin.register(ContactGroup)
class ContactGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "created_at")
    search_fields = ("name", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(ContactFields)
class ContactFieldsAdmin(admin.ModelAdmin):
    list_display = ("customer", "name1", "name2", "name3", "name4", "name5")
    search_fields = ("customer__name",)
    raw_id_fields = ("customer",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "updated_at")
    search_fields = ("name", "text", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(ContactImport)
class ContactImportAdmin(admin.ModelAdmin):
    """Read-only: what a customer imported and how it went (the file itself is not shown)."""

    list_display = ("file_name", "customer", "state", "rows_estimate", "rows_done", "created_at")
    list_filter = ("state",)
    search_fields = ("file_name", "customer__name")
    exclude = ("data",)
    readonly_fields = [f.name for f in ContactImport._meta.fields if f.name not in ("id", "data")]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")
