"""Forced password change for employer online-hall accounts issued by SBZX00001/00002.

Add ``"shebao.registry.middleware.ForcePasswordChangeMiddleware"`` to ``MIDDLEWARE`` after
``AuthenticationMiddleware``. A signed-in user whose account still has its initial password is
sent to /registry/account/password/ (web) or gets 403 ``password_change_required`` (API over a
session); the change itself, logout and static files stay reachable. Bearer-token API clients are
not covered (the token is checked after middleware runs)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import urlencode

from .models import OnlineAccount

ALLOWED_PREFIXES = ("/registry/account/password", "/api/v1/registry/account/password", "/accounts/logout",
                    "/static/", "/healthz")


def must_change_password(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_registry_must_change", None)
    if cached is None:
        pk = getattr(user, "pk", None)
        cached = pk is not None and OnlineAccount.objects.filter(user_id=pk, must_change_password=True).exists()
        setattr(user, "_registry_must_change", cached)  # noqa: B010
    return bool(cached)


class ForcePasswordChangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if not path.startswith(ALLOWED_PREFIXES) and must_change_password(getattr(request, "user", None)):
            if path.startswith("/api/"):
                return JsonResponse({"error": "password_change_required",
                                     "message": "首次登录须修改初始密码：POST /api/v1/registry/account/password"},
                                    status=403, json_dumps_params={"ensure_ascii": False})
            return redirect(f"/registry/account/password/?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
