from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import ThrottledAdminLoginForm, ThrottledLoginForm

admin.site.login_form = ThrottledAdminLoginForm

service_patterns = [
    path("", views.service_interfaces, name="service"),
    path("block/", views.service_block, name="service_block"),
    path(
        "interfaces/<slug:interface>/<slug:state>/",
        views.interface_switch,
        name="interface_switch",
    ),
    path("unblock/", views.service_unblock, name="service_unblock"),
    path("sms/", views.sms_settings, name="sms_settings"),
    path("sms/api-password/", views.regenerate_api_password, name="regenerate_api_password"),
    path("sms/sms-hash/", views.regenerate_sms_hash, name="regenerate_sms_hash"),
    path("api/ip/", views.ip_addresses, name="ip_addresses"),
    path("api/ip/<int:entry_id>/delete/", views.ip_address_delete, name="ip_address_delete"),
    path("api/callback/", views.callback_url, name="callback_url"),
    path(
        "api/callback/signing-secret/",
        views.regenerate_signing_secret,
        name="regenerate_signing_secret",
    ),
    path("send/", views.send_sms, name="send_sms"),
    path("send/estimate/", views.send_estimate, name="send_estimate"),
    path("messages/", views.message_list, name="message_list"),
    path(
        "messages/<int:message_id>/recipients.csv",
        views.message_recipients_csv,
        name="message_recipients_csv",
    ),
    path("balance/", views.balance_history, name="balance_history"),
    path("balance.csv", views.balance_csv, name="balance_csv"),
    path("incoming.csv", views.incoming_csv, name="incoming_csv"),
    path("messages/<int:message_id>/cancel/", views.message_cancel, name="message_cancel"),
    path("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    path("incoming/", views.incoming, name="incoming"),
    path("senders/", views.sender_ids, name="sender_ids"),
    path("senders/<int:sender_id>/code/", views.sender_send_code, name="sender_send_code"),
    path("senders/<int:sender_id>/confirm/", views.sender_confirm, name="sender_confirm"),
    path("senders/<int:sender_id>/delete/", views.sender_delete, name="sender_delete"),
    path("sms2email/", views.sms2email_settings, name="sms2email_settings"),
    path("sms2email/on/", views.sms2email_on, name="sms2email_on"),
    path("sms2email/off/", views.sms2email_off, name="sms2email_off"),
    path("sms2email/password/", views.sms2email_password, name="sms2email_password"),
    path("sms2email/subdomain/", views.sms2email_subdomain, name="sms2email_subdomain"),
    path("sms2email/log/", views.sms2email_log, name="sms2email_log"),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledLoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("services/order/", views.order_service, name="order_service"),
    path("services/<int:service_id>/", include(service_patterns)),
    path("docs/api/", views.api_docs, name="api_docs"),
    path("sms_api/", include("messaging.api.urls")),
    path("sys/", include("messaging.smsc.urls")),
    path("sms2email/", include("mailbridge.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
