"""个人信息查阅记录: who opened whose full record, for supervisors and administrators."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shebao.core.errors import ValidationFailed

from . import selectors

PAGE_SIZE = 50


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    if not selectors.can_read_access_log(request.user):
        return render(request, "supervision/forbidden.html",
                      {"message": "个人信息查阅记录仅供督办人员和系统管理员查看。"}, status=403)
    error = ""
    try:
        filters = selectors.parse_access_filters(request.GET)
    except ValidationFailed as exc:
        error, filters = exc.message, selectors.AccessFilters()
    rows = selectors.access_list(user=request.user, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/access_log.html", {
        "page": page, "filters": filters, "error": error,
        "page_query": urlencode({k: v for k, v in request.GET.items() if k != "page"}),
    }, status=422 if error else 200)
