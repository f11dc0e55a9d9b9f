"""Every page of ``config.urls`` and every operation of the ``/api/v1/`` NinjaAPI, with the policy
each declares (``shebao.core.access``) and a concrete URL to request it with."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from shebao.core.access import Policy, operation_policy, policy_of

# Sample values for path parameters, by name. They need not exist: the role gate runs before any
# lookup, and for allowed roles the test only asks that the gate let them through.
SAMPLES: dict[str, str] = {
    "case_id": str(uuid.UUID(int=1)), "file_id": str(uuid.UUID(int=2)), "notice_id": "1", "code": "SBZX00024",
    "number": "1", "pk": "1", "proposal_id": "1", "action": "submit", "key": "420102199003071230",
    "table": "orders", "fmt": "csv",
}
_CONVERTER_DEFAULTS = {"int": "1", "uuid": str(uuid.UUID(int=3)), "str": "x", "slug": "x", "path": "x"}


@dataclass(frozen=True)
class Target:
    kind: str                 # "api" or "page"
    methods: tuple[str, ...]  # API: the operation's methods; pages: tried in order (GET, then POST on 405)
    route: str                # the pattern as written
    url: str                  # a concrete URL
    policy: Policy | None
    admin: bool = False

    @property
    def label(self) -> str:
        return f"{'/'.join(self.methods)} {self.route}"


def _fill(route: str) -> str:
    def page_param(match: re.Match[str]) -> str:
        converter, name = (match.group(1) or "str"), match.group(2)
        return SAMPLES.get(name, _CONVERTER_DEFAULTS.get(converter, "x"))

    def api_param(match: re.Match[str]) -> str:
        return SAMPLES.get(match.group(1), "x")

    return re.sub(r"\{(\w+)\}", api_param, re.sub(r"<(?:(\w+):)?(\w+)>", page_param, route))


def api_targets() -> list[Target]:
    from shebao.api import api

    found: list[Target] = []
    for prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            full = f"/api/v1{prefix.rstrip('/')}{route}"
            for operation in path_view.operations:
                methods = tuple(sorted(operation.methods))
                found.append(Target("api", methods, full, _fill(full), operation_policy(operation.auth_callbacks)))
    return found


def _walk(patterns: list[Any], prefix: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            route = prefix + str(entry.pattern)
            if route.startswith("api/v1/") or entry.app_name == "admin":
                continue  # the API is enumerated operation by operation, the admin site below
            out += _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            out.append((prefix + str(entry.pattern), entry.callback))
    return out


def page_targets() -> list[Target]:
    return [Target("page", ("GET", "POST"), route, "/" + _fill(route), policy_of(callback))
            for route, callback in _walk(get_resolver().url_patterns, "")]


def admin_targets() -> list[Target]:
    """The admin site's index and each registered model's list: one policy for the whole site."""
    policy = policy_of(admin.site)
    urls = [reverse("admin:index")]
    urls += sorted({reverse("admin:app_list", kwargs={"app_label": model._meta.app_label})
                    for model in admin.site._registry})
    urls += sorted(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
                   for model in admin.site._registry)
    return [Target("page", ("GET",), url, url, policy, admin=True) for url in urls]


def all_targets() -> list[Target]:
    return api_targets() + page_targets() + admin_targets()
