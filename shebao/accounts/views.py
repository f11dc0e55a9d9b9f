"""Login, logout and the account page. Thin: Django's auth views with our templates and form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from shebao.core.errors import ApplicationError

from . import otp
from .forms import LoginForm
from .models import Role
from .selectors import is_applicant, is_staff_user, user_display_name, user_org_unit, user_roles


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """``next_page``, else ``settings.LOGIN_REDIRECT_URL`` (the web app's dispatch by role)
        where that URL is installed, else the account page."""
        if self.next_page:
            return str(self.next_page)
        try:
            return reverse(settings.LOGIN_REDIRECT_URL)
        except NoReverseMatch:
            return reverse("accounts:profile")


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5); shows a "you have logged out" page."""

    template_name = "accounts/logged_out.html"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    labels = dict(Role.choices)
    roles = [labels[r] for r in Role.values if r in user_roles(user)]
    applicant = getattr(user, "applicant_profile", None) if is_applicant(user) else None
    return render(request, "accounts/profile.html", {
        "display_name": user_display_name(user),
        "role_labels": roles,
        "org_unit": user_org_unit(user),
        "is_staff_user": is_staff_user(user),
        "applicant": applicant,
        "otp_device": otp.otp_device(user) if is_staff_user(user) else None,
        "otp_required": otp.otp_required_for(user),
    })


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    try:
        return reverse(settings.LOGIN_REDIRECT_URL)
    except NoReverseMatch:
        return reverse("accounts:profile")


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not is_staff_user(request.user):
        return render(request, "accounts/otp_message.html", {
            "message": "两步验证（动态验证码）供工作人员账户使用。"}, status=403)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """绑定身份验证器: the otpauth URI and its QR code; a code from the app confirms it."""
    refused = _staff_only(request)
    if refused:
        return refused
    user: Any = request.user
    if otp.otp_device(user) is not None and request.method == "GET":
        return redirect("accounts:profile")
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            otp.otp_enrol_confirm(request=request, token=request.POST.get("otp_token", ""))
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(_next_url(request))
    device = otp.pending_device(request)
    uri = device.config_url
    return render(request, "accounts/otp_setup.html", {
        "uri": uri, "qr_svg": otp.qr_svg(uri), "secret": otp.b32_secret(device), "error": error,
        "required": otp.otp_required_for(user), "next": request.POST.get("next") or request.GET.get("next", ""),
    }, status=error.http_status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second login step for staff who bound an authenticator."""
    refused = _staff_only(request)
    if refused:
        return refused
    user: Any = request.user
    if otp.otp_device(user) is None:
        return redirect("accounts:otp_setup")
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            otp.otp_verify(request=request, token=request.POST.get("otp_token", ""))
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(_next_url(request))
    return render(request, "accounts/otp_verify.html", {
        "error": error, "next": request.POST.get("next") or request.GET.get("next", ""),
    }, status=error.http_status if error else 200)


@login_required
@require_POST
def otp_remove(request: HttpRequest) -> HttpResponse:
    refused = _staff_only(request)
    if refused:
        return refused
    try:
        otp.otp_remove(request=request, token=request.POST.get("otp_token", ""))
    except ApplicationError as exc:
        return render(request, "accounts/otp_message.html", {"message": exc.message}, status=exc.http_status)
    return redirect("accounts:profile")
