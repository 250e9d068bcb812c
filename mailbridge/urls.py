from django.urls import path

from . import views

app_name = "mailbridge"

urlpatterns = [
    path("key.asc", views.public_key, name="public_key"),
]
