"""The root URLconf: the customer's pages, the two API doors (Telecube's ``sms_api/``,
SMSC's ``sys/``), the mail bridge's links, the language switch and admin."""

from django.contrib import admin
from django.urls import include, path

from panel import language
from panel.forms import ThrottledAdminLoginForm

# A database that does not answer: 503 and "try again", not a 500 (smspanel/errorpages).
handler500 = "smspanel.errorpages.server_error"

# Admin's login counts failures like the panel's (panel.login).
admin.site.login_form = ThrottledAdminLoginForm

urlpatterns = [
    path("", include("panel.urls")),
    path("sms_api/", include("messaging.api.urls")),
    path("sys/", include("messaging.smsc.urls")),
    path("sms2email/", include("mailbridge.urls")),
    # Django's switch (django.conf.urls.i18n) that also keeps a customer's choice.
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
