"""Staff registry pages (/registry/): one search box; an employer's and a person's page with their
relationships, cards, bills, benefits, filings, cases and field history; the item effects table.
Also the forced password change of an employer's online-hall account (any signed-in user)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import ApplicationError
from shebao.privacy.models import SubjectKind
from shebao.privacy.services import personal_data_read

from . import selectors, services
from .framework import ITEMS
from .models import InsuranceType, OnlineAccount

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """The REGISTRY_STAFF gate, and domain errors shown on the registry's message page."""

    @page(access.REGISTRY_STAFF, template="registry/message.html")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return render(request, "registry/message.html", {"title": "未找到" if exc.http_status == 404 else "无法显示",
                                                             "message": exc.message}, status=exc.http_status)
    return wrapped  # type: ignore[return-value]


TYPE_ORDER = [t.value for t in InsuranceType]


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    employers, persons = selectors.registry_search(user=request.user, q=q) if q else ([], [])
    if q and len(employers) + len(persons) == 1:
        if employers:
            return redirect("registry:employer", code=employers[0].code)
        return redirect("registry:person", key=persons[0].ssn)
    return render(request, "registry/search.html", {"q": q, "employers": employers, "persons": persons,
                                                    "searched": bool(q)})


@staff_required
def employer_detail(request: HttpRequest, code: str) -> HttpResponse:
    view = selectors.employer_overview(user=request.user, code=code, limit=0)
    page, employees = selectors.employer_employees_page(employer=view.employer, page=request.GET.get("page", 1))
    rows = []
    for employee in employees:
        latest: dict[str, Any] = {}
        for rel in employee.relationships:  # newest first within each 险种
            latest.setdefault(rel.insurance_type, rel)
        stopped = employee.last_stop
        rows.append({"person": employee.person, "start": employee.start, "active": employee.active,
                     "stop": stopped.stop_on, "reason": stopped.stop_reason,
                     "cells": [latest.get(t) for t in view.employer.insurance_types]})
    return render(request, "registry/employer.html", {
        "v": view, "e": view.employer, "rows": rows, "page": page,
        "types": [InsuranceType(t) for t in view.employer.insurance_types],
        "account": OnlineAccount.objects.filter(employer=view.employer).select_related("user").first(),
    })


@staff_required
def person_detail(request: HttpRequest, key: str) -> HttpResponse:
    view = selectors.person_overview(user=request.user, key=key)
    personal_data_read(request=request, subject_kind=SubjectKind.PERSON, subject_key=view.person.ssn,
                       subject_name=view.person.name, id_number=view.person.id_number)
    grade = services.flexible_grade_on(view.flexible, services.now_local().date()) if view.flexible else None
    return render(request, "registry/person.html", {"v": view, "p": view.person, "grade": grade,
                                                    "months": _months(view.person)})


def _months(person: Any) -> dict[str, int]:
    from .items.common import pension_months, unemployment_months

    today = services.now_local().date()
    actual = pension_months(person, today)
    return {"actual": actual, "deemed": person.deemed_months, "total": actual + person.deemed_months,
            "unemployment": unemployment_months(person, today)}


@staff_required
def items(request: HttpRequest) -> HttpResponse:
    from shebao.catalog.selectors import catalog_version_in_force

    version = catalog_version_in_force()
    names: dict[str, tuple[int, str]] = {}
    if version is not None:
        names = {code: (position, name) for code, position, name in
                 version.items.values_list("code", "position", "name")}
    rows = [{"code": code, "name": names.get(code, (0, ""))[1], "effect": defn.effect,
             "precondition": defn.precondition, "needs_data": defn.schema is not None, "data_at": defn.data_at,
             "state": defn.state} for code, defn in sorted(ITEMS.items(), key=lambda kv: names.get(kv[0], (999, ""))[0])]
    return render(request, "registry/items.html", {"rows": rows})


@page(access.SIGNED_IN)
def password_change(request: HttpRequest) -> HttpResponse:
    """First login of an employer's online-hall account: set a password of one's own. The form and
    the password rules are shown in Chinese whatever the browser asks for."""
    with translation.override("zh-hans"):
        return _password_change(request)


def _password_change(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    account = OnlineAccount.objects.filter(user=request.user).first()
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            services.online_account_password_changed(user=user)
        update_session_auth_hash(request, user)
        return redirect(next_url)
    return render(request, "registry/password.html", {"form": form, "forced": bool(account and
                                                                                 account.must_change_password),
                                                       "next": next_url})
