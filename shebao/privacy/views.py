"""个人信息查阅记录: who opened whose full record, for supervisors and administrators."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import ValidationFailed

from . import selectors

PAGE_SIZE = 50


@page(access.ACCESS_LOG_READERS, template="supervision/forbidden.html")
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
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
