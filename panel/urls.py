"""The customer's pages. The root URLconf (smspanel.urls) mounts them at the site's
root beside the APIs, the mail bridge's links and admin."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import never_cache

from . import (
    addressbook,
    contacts_import,
    language,
    message_templates,
    quiet_hours,
    stoplist,
    views,
)
from .forms import ThrottledLoginForm


def private(route, view, **kwargs):
    """A page behind the login: whatever the view answers (a page, a CSV export, a
    redirect) is never kept by the browser or a proxy (Cache-Control: no-store)."""
    return path(route, never_cache(view), **kwargs)


service_patterns = [
    private("", views.service_interfaces, name="service"),
    private("block/", views.service_block, name="service_block"),
    private(
        "interfaces/<slug:interface>/<slug:state>/",
        views.interface_switch,
        name="interface_switch",
    ),
    private("unblock/", views.service_unblock, name="service_unblock"),
    private("sms/", views.sms_settings, name="sms_settings"),
    private("sms/api-password/", views.regenerate_api_password, name="regenerate_api_password"),
    private("sms/sms-hash/", views.regenerate_sms_hash, name="regenerate_sms_hash"),
    private("quiet-hours/", quiet_hours.quiet_hours_settings, name="quiet_hours"),
    private("api/ip/", views.ip_addresses, name="ip_addresses"),
    private("api/ip/<int:entry_id>/delete/", views.ip_address_delete, name="ip_address_delete"),
    private("api/callback/", views.callback_url, name="callback_url"),
    private(
        "api/callback/signing-secret/",
        views.regenerate_signing_secret,
        name="regenerate_signing_secret",
    ),
    private("send/", views.send_sms, name="send_sms"),
    private("send/estimate/", views.send_estimate, name="send_estimate"),
    private("messages/", views.message_list, name="message_list"),
    private("messages.csv", views.message_list_csv, name="message_list_csv"),
    private(
        "messages/<int:message_id>/recipients.csv",
        views.message_recipients_csv,
        name="message_recipients_csv",
    ),
    private("balance/", views.balance_history, name="balance_history"),
    private("balance.csv", views.balance_csv, name="balance_csv"),
    private("changes/", views.change_history, name="change_history"),
    private("incoming.csv", views.incoming_csv, name="incoming_csv"),
    private("messages/<int:message_id>/cancel/", views.message_cancel, name="message_cancel"),
    private("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    private("incoming/", views.incoming, name="incoming"),
    private("senders/", views.sender_ids, name="sender_ids"),
    private("senders/<int:sender_id>/code/", views.sender_send_code, name="sender_send_code"),
    private("senders/<int:sender_id>/confirm/", views.sender_confirm, name="sender_confirm"),
    private("senders/<int:sender_id>/delete/", views.sender_delete, name="sender_delete"),
    private("sms2email/", views.sms2email_settings, name="sms2email_settings"),
    private("sms2email/on/", views.sms2email_on, name="sms2email_on"),
    private("sms2email/off/", views.sms2email_off, name="sms2email_off"),
    private("sms2email/password/", views.sms2email_password, name="sms2email_password"),
    private("sms2email/subdomain/", views.sms2email_subdomain, name="sms2email_subdomain"),
    private(
        "sms2email/recipients/<int:address_id>/ask/",
        views.sms2email_recipient_ask,
        name="sms2email_recipient_ask",
    ),
    private("sms2email/log/", views.sms2email_log, name="sms2email_log"),
]

urlpatterns = [
    private("", views.dashboard, name="dashboard"),
    path(
        "login/",
        language.SignIn.as_view(authentication_form=ThrottledLoginForm),
        name="login",
    ),
    private("logout/", auth_views.LogoutView.as_view(), name="logout"),
    private("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    private(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    private("services/order/", views.order_service, name="order_service"),
    path("services/<int:service_id>/", include(service_patterns)),
    path("contacts/", include(addressbook.urlpatterns)),
    path("docs/api/", views.api_docs, name="api_docs"),
    # The address book's import and the message templates (per customer).
    private("contacts/import/", contacts_import.import_upload, name="contacts_import"),
    private(
        "contacts/import/<uuid:key>/",
        contacts_import.import_preview,
        name="contacts_import_preview",
    ),
    private(
        "contacts/import/<uuid:key>/report/",
        contacts_import.import_report,
        name="contacts_import_report",
    ),
    private(
        "contacts/import/<uuid:key>/problems.csv",
        contacts_import.import_problems_csv,
        name="contacts_import_problems_csv",
    ),
    private("templates/", message_templates.template_list, name="template_list"),
    private("templates/add/", message_templates.template_add, name="template_add"),
    private("templates/<int:template_id>/", message_templates.template_edit, name="template_edit"),
    private(
        "templates/<int:template_id>/delete/",
        message_templates.template_delete,
        name="template_delete",
    ),
    private("stoplist/", stoplist.stoplist_page, name="stoplist"),
    private("stoplist/add/", stoplist.stoplist_add, name="stoplist_add"),
    private("stoplist/import/", stoplist.stoplist_import, name="stoplist_import"),
    private("stoplist/settings/", stoplist.stoplist_settings, name="stoplist_settings"),
    private("stoplist/log/", stoplist.stoplist_log, name="stoplist_log"),
    private("stoplist/<int:stop_id>/remove/", stoplist.stoplist_remove, name="stoplist_remove"),
    private("stoplist.csv", stoplist.stoplist_csv, name="stoplist_csv"),
]
