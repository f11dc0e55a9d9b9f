"""The project's URLs without the accounts app: the header must still render."""

from django.urls import URLPattern, URLResolver

from config.urls import urlpatterns as project_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [
    p for p in project_urlpatterns if getattr(p, "namespace", None) != "accounts"
]
