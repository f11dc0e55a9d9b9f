"""Cache of the public catalog API's responses (``GET /api/v1/items…``) in the process.

A published catalog version is never edited, so the JSON of an item list or a guide is the same
for everyone until a version is published or comes into force. Rendering the whole list (123
items with their materials and steps) through the schemas costs tens of milliseconds; the cached
bytes cost one small query (the catalog's generation) and a dictionary look-up. That is what lets
one server answer 32 concurrent clients within 100 ms (docs/performance.md).

The key is the full path with its query string plus the generation: today's date (a version comes
into force on its date), and the number, newest number and last change of the published versions.
Only successful, non-streaming JSON responses are kept, in Django's cache (``CACHES["default"]``:
per-process local memory unless the settings name a shared one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import CatalogVersion

CACHED_PREFIX = "/api/v1/items"
TIMEOUT = 3600  # seconds; the generation in the key already retires stale entries


def catalog_generation() -> tuple[Any, ...]:
    published = CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED).aggregate(
        n=Count("pk"), top=Max("number"), changed=Max("updated_at"))
    return (timezone.localdate(), published["n"], published["top"], published["changed"])


def _key(request: HttpRequest) -> str:
    raw = repr((request.get_full_path(), *catalog_generation()))
    return "catalog-api:" + hashlib.sha256(raw.encode()).hexdigest()


class CatalogCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path.startswith(CACHED_PREFIX):
            return self.get_response(request)
        key = _key(request)
        hit = cache.get(key)
        if hit is not None:
            content, content_type = hit
            cached = HttpResponse(content, content_type=content_type)
            # Answered before CommonMiddleware, which sets it on the way out: without a length
            # Waitress ends the response by closing the connection, so every cached answer cost
            # the client a new TCP connection (bench/http_reads.py: 32 clients held 1–5).
            cached["Content-Length"] = str(len(content))
            return cached
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and not response.streaming and content_type.startswith("application/json"):
            cache.set(key, (response.content, content_type), TIMEOUT)
        return response
