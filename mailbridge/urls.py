from django.urls import path

from . import views

app_name = "mailbridge"

urlpatterns = [
    path("key.asc", views.public_key, name="public_key"),
    path("confirm/<str:token>/", views.confirm_address, name="confirm_address"),
]
