"""Included at /supervision/access-log/ by config.urls (the page sits in the supervision nav)."""

from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.access_log, name="access_log"),
]
