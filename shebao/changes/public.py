"""Public pages of guide change control, mounted in the portal (``catalog`` namespace):

* ``/changelog/``            变更公告: every published version, what changed, why, when it takes effect
* ``/changelog/feed.atom``   the same as an Atom feed
* ``/versions/<n>/``         one version: field-by-field diff against the version before (``?from=m``)
* ``/versions/<n>/export.json`` and ``export.jsonld``: the exports of any published version

No login, no JavaScript: the public must be able to see what changed and when.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_GET

from shebao.catalog.export import export_json, export_jsonld
from shebao.catalog.models import CatalogVersion
from shebao.catalog.selectors import catalog_version_in_force, normalize_item_code
from shebao.core import access
from shebao.core.access import page
from shebao.core.errors import NotFound

from . import selectors
from .diff import summarize

MAX_ITEM_PARAM = 20


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "404.html", {"message": message, "version": catalog_version_in_force()}, status=404)


@page(access.PUBLIC)
@require_GET
def changelog(request: HttpRequest) -> HttpResponse:
    """变更公告: versions newest first; ``?item=CODE`` keeps those that changed one item."""
    raw = request.GET.get("item", "").strip()[:MAX_ITEM_PARAM]
    code = normalize_item_code(raw) if raw else ""
    entries = selectors.changelog(item_code=code)
    return render(request, "changes/public/changelog.html", {
        "entries": entries, "item_code": code, "version": catalog_version_in_force(),
        "today": timezone.localdate(),
    })


@page(access.PUBLIC)
@require_GET
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    """One version and, field by field, what it changed (against the previous or ``?from=``)."""
    try:
        version = selectors.version_get(number=number)
    except NotFound:
        return _not_found(request, f"第 {number} 版不存在或尚未发布。")
    versions = selectors.published_versions()
    since = selectors.previous_version(version)
    error = ""
    raw_from = request.GET.get("from", "").strip()
    if raw_from:
        if raw_from.isdigit() and int(raw_from) != number:
            try:
                since = selectors.version_get(number=int(raw_from))
            except NotFound:
                error = f"第 {raw_from[:6]} 版不存在或尚未发布，已与上一版比较。"
        else:
            error = "比较的版本号应为其他已发布版本的数字。"
    diffs = selectors.version_diff(version=version, since=since) if since is not None else []
    entry = selectors.version_entry(version=version)
    return render(request, "changes/public/version_detail.html", {
        "entry": entry, "shown": version, "since": since, "diffs": diffs, "counts": summarize(diffs),
        "versions": versions, "error": error, "version": catalog_version_in_force(),
    }, status=400 if error else 200)


def _export(request: HttpRequest, number: int, fmt: str) -> HttpResponse:
    try:
        version = selectors.version_get(number=number)
    except NotFound:
        return JsonResponse({"error": "not_found", "message": f"第 {number} 版不存在或尚未发布"}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    data: Any = export_json(version) if fmt == "json" else export_jsonld(version, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1),
        content_type="application/json; charset=utf-8" if fmt == "json" else "application/ld+json; charset=utf-8",
    )
    suffix = "json" if fmt == "json" else "jsonld"
    response["Content-Disposition"] = f'inline; filename="shebao-catalog-v{version.number}.{suffix}"'
    return response


@page(access.PUBLIC)
@require_GET
def export_version_json(request: HttpRequest, number: int) -> HttpResponse:
    return _export(request, number, "json")


@page(access.PUBLIC)
@require_GET
def export_version_jsonld(request: HttpRequest, number: int) -> HttpResponse:
    return _export(request, number, "jsonld")


class ChangelogFeed(Feed):
    """Atom feed of published versions (newest first): what changed, why, from when."""

    feed_type = Atom1Feed
    title = "武汉市社会保险公共服务事项清单和办事指南 变更公告"
    subtitle = "事项清单的每一次发布：变更内容、理由和生效日期"

    def link(self) -> str:
        return reverse("catalog:changelog")

    def items(self) -> list[selectors.VersionEntry]:
        return selectors.changelog()[:50]

    def item_title(self, item: selectors.VersionEntry) -> str:
        titles = "；".join(p.title for p in item.proposals) or f"{item.version.doc_number}《{item.version.title}》"
        return f"第 {item.version.number} 版（{item.state_label}）：{titles}"

    def item_description(self, item: selectors.VersionEntry) -> str:
        when = f"自 {item.version.effective_from:%Y年%-m月%-d日}起施行。"
        lines = [when]
        for proposal in item.proposals:
            lines.append(f"变更理由：{proposal.reason}")
        for diff in item.diffs:
            fields = f"（{'、'.join(diff.field_labels)}）" if diff.fields and diff.change == "changed" else ""
            lines.append(f"{diff.change_label} {diff.code} {diff.name}{fields}")
        if item.first:
            lines.append("首次发布。")
        return "\n".join(lines)

    def item_link(self, item: selectors.VersionEntry) -> str:
        return reverse("catalog:version_detail", args=[item.version.number])

    def item_guid(self, item: selectors.VersionEntry) -> str:
        return f"shebao-catalog-version-{item.version.number}-{item.version.content_sha256[:12]}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: selectors.VersionEntry) -> datetime:
        version: CatalogVersion = item.version
        if version.published_at is not None:
            return version.published_at
        return timezone.make_aware(datetime.combine(version.issued_on, time(9)))

    def item_updateddate(self, item: selectors.VersionEntry) -> datetime:
        return self.item_pubdate(item)

    def item_categories(self, item: selectors.VersionEntry) -> list[str]:
        return [item.state_label]


changelog_feed = page(access.PUBLIC)(ChangelogFeed())
