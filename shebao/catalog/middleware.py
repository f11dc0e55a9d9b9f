"""Cache of the public catalog API's responses (``GET /api/v1/items…``) in the process.

A published catalog version is never edited, so the JSON of an item list or a guide is the same
for everyone until a version is published or comes into force. Rendering the whole list (123
items with their materials and steps) through the schemas costs tens of milliseconds; the cached
bytes cost one small query (the catalog's generation) and a dictionary look-up. That is what lets
one server answer 32 concurrent clients within 100 ms (docs/performance.md).

The key is the full path with its query string plus the generation: today's date (a version comes
into force on its date), and the number, newest number and last change of the published versions.
Only successful, non-streaming JSON responses are kept; the store is bounded (least recently used
entries go first).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import CatalogVersion

CACHED_PREFIX = "/api/v1/items"
MAX_ENTRIES = 512

_store: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
_lock = Lock()


def catalog_generation() -> tuple[Any, ...]:
    published = CatalogVersion.objects.filter(status=CatalogVersion.Status.PUBLISHED).aggregate(
        n=Count("pk"), top=Max("number"), changed=Max("updated_at"))
    return (timezone.localdate(), published["n"], published["top"], published["changed"])


def cache_clear() -> None:
    with _lock:
        _store.clear()


class CatalogCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or not request.path.startswith(CACHED_PREFIX):
            return self.get_response(request)
        key = (request.get_full_path(), *catalog_generation())
        with _lock:
            hit = _store.get(key)
            if hit is not None:
                _store.move_to_end(key)
        if hit is not None:
            content, content_type = hit
            return HttpResponse(content, content_type=content_type)
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and not response.streaming and content_type.startswith("application/json"):
            with _lock:
                _store[key] = (response.content, content_type)
                while len(_store) > MAX_ENTRIES:
                    _store.popitem(last=False)
        return response
