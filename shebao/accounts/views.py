"""Login, logout and the account page. Thin: Django's auth views with our templates and form."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from shebao.core import access
from shebao.core.access import page

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


@page(access.SIGNED_IN)
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
    })
