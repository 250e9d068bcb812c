"""``/sys/`` routes, named as SMSC names them, so a client changes only its host."""

from django.urls import path

from . import schema, views

urlpatterns = [
    path("status.php", views.status, name="smsc_status"),
    path("senders.php", views.senders_api, name="smsc_senders"),
    path("send.php", views.send, name="smsc_send"),
    path("balance.php", views.balance, name="smsc_balance"),
    path("schema/", schema.view, name="smsc_schema"),
]
