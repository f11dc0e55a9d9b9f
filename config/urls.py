from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from shebao.api import api


def healthz(request: HttpRequest) -> JsonResponse:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("accounts/", include("shebao.accounts.urls")),
    path("changes/", include("shebao.changes.urls")),
    path("supervision/access-log/", include("shebao.privacy.urls")),
    path("supervision/", include("shebao.supervision.urls")),
    path("registry/", include("shebao.registry.urls")),
    path("", include("shebao.web.urls")),
    path("", include("shebao.catalog.urls")),
]
