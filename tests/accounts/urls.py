"""The project's URLs with the accounts app included (until config/urls.py includes it)."""

from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "accounts" for p in urlpatterns):
    urlpatterns.insert(0, path("accounts/", include("shebao.accounts.urls")))
