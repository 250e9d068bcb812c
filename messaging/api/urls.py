"""``/sms_api/`` routes. Each endpoint also answers at ``…/json/`` and ``…/xml/``
(seed 001 §2b); the trailing slash is optional, as clients spell it both ways."""

from django.urls import re_path
from drf_spectacular.views import SpectacularAPIView

from . import views

FORMAT = r"(?P<format>json|xml)"


def endpoint(name: str, view, parameter: str | None = None) -> list:
    base = f"^{name}" + (f"/(?P<{parameter}>[^/]+)" if parameter else "")
    return [
        re_path(base + f"/{FORMAT}/?$", view),
        re_path(base + "/?$", view),
    ]


gateway = views.GatewayView.as_view()
progress = views.ProgressView.as_view()

urlpatterns = [
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="sms_api_schema"),
    *endpoint("gateway", gateway),
    *endpoint("send", gateway),  # seed 001 example 1 shows the format suffixes on send/
    *endpoint("getProgress", progress),  # message_id as a field
    *endpoint("getProgress", progress, "message_id"),
    *endpoint("cancelSms", views.CancelView.as_view()),
    *endpoint("validateContent", views.ValidateContentView.as_view()),
    *endpoint("incoming", views.IncomingView.as_view(), "sms_hash"),
]
