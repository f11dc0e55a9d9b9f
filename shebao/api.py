"""The JSON API (``/api/v1/``): one NinjaAPI, routers from the apps, errors mapped in one place."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from shebao.cases.api import router as cases_router
from shebao.catalog.api import router as catalog_router
from shebao.changes.api import router as changes_router
from shebao.core.errors import ApplicationError
from shebao.registry.api import router as registry_router
from shebao.supervision.api import router as supervision_router
from shebao.workdays.api import router as workdays_router


class ChineseJSONRenderer(JSONRenderer):
    """UTF-8 JSON without \\u escapes, so responses are readable as they are."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=ChineseJSONRenderer(),
    title="shebao 社保经办服务平台 API",
    version="1",
    description="Catalog of the 社会保险公共服务事项清单和办事指南, offices, and (later) cases.",
    urls_namespace="api-v1",
)


@api.exception_handler(ApplicationError)
def _application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body: dict[str, object] = {"error": exc.code, "message": exc.message}
    if exc.field:
        body["field"] = exc.field
    body.update(exc.extra)
    return api.create_response(request, body, status=exc.http_status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"error": "unauthorized", "message": "请先登录，或在 Authorization 头中提供有效的 API 令牌"}, status=401
    )


# django-ninja's own refusals (a body that is not JSON, a throttle, a 404 from a lookup helper)
# answer in the same shape as ours, so clients read one error format and the schema holds.
_HTTP_ERROR_CODES = {400: ("bad_request", "请求格式不正确（请求体须为有效的 JSON）"), 403: ("forbidden", "您没有权限"),
                     404: ("not_found", "请求的对象不存在"), 429: ("throttled", "请求过于频繁，请稍后再试")}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message = _HTTP_ERROR_CODES.get(exc.status_code, ("bad_request", str(exc)))
    return api.create_response(request, {"error": code, "message": message}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"error": "not_found", "message": "请求的对象不存在"}, status=404)


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    """422 that names each bad parameter in words, not only as a location path."""
    problems = []
    for err in exc.errors:
        # ninja reports e.g. ("query", "filters", "mode", 0); people want "mode".
        loc = [
            str(part) for part in err.get("loc", [])
            if part not in ("query", "path", "body", "filters", "payload") and not isinstance(part, int)
        ]
        problems.append({"field": ".".join(loc), "message": err.get("msg", "invalid")})
    fields = "、".join(p["field"] for p in problems if p["field"]) or "请求"
    return api.create_response(
        request,
        {"error": "validation_failed", "message": f"参数不合法：{fields}", "detail": problems},
        status=422,
    )


api.add_router("/", catalog_router)
api.add_router("/", workdays_router)
api.add_router("/", cases_router)
api.add_router("/", changes_router)
api.add_router("/", supervision_router)
api.add_router("/", registry_router)
