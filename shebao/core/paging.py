"""One page of a list for django-ninja's ``paginate``, cut in the database.

Returning a list from a paginated endpoint made it read and shape every row before keeping one
page. ``Paged`` hands the paginator something it can slice and count instead: the slice reads
only that page's rows (``rows[offset:offset + limit]``) and shapes them, ``count()`` is one
COUNT — skipped when the page came back short, since such a page is the end of the list and its
rows give the count (most look-ups at the window find one to a few cases). The paginator slices
before it counts; a page with nothing past the first row still counts in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, Self


class Rows(Protocol):
    """What ``Paged`` reads: a Django queryset, or anything else that slices and counts alike."""

    def count(self) -> int: ...

    def __getitem__(self, window: slice) -> Any: ...


class Paged:
    def __init__(self, rows: Rows, shape: Callable[[Any], dict[str, Any]]) -> None:
        self.rows, self.shape = rows, shape
        self._count: int | None = None

    def all(self) -> Self:  # the paginator counts ``queryset.all().count()``
        return self

    def count(self) -> int:
        if self._count is None:
            self._count = self.rows.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop = window.start or 0, window.stop
        rows = list(self.rows[window])
        if stop is not None and len(rows) < stop - start and (rows or start == 0):
            self._count = start + len(rows)
        return [self.shape(row) for row in rows]
