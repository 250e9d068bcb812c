from django.contrib import admin

from .models import Contact, ContactFields, ContactGroup


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
