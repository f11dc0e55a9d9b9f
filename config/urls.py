from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from shebao.api import api
from shebao.core import access
from shebao.core.access import page


def _admin_has_permission(request: HttpRequest) -> bool:
    """Django's own rule (active and is_staff) narrowed to the ADMIN_SITE policy."""
    user = request.user
    return bool(user.is_active and user.is_staff and access.ADMIN_SITE.allows(user))


admin.site.has_permission = _admin_has_permission  # type: ignore[method-assign]
setattr(admin.site, access.POLICY_ATTR, access.ADMIN_SITE)


@page(access.PUBLIC)
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
