"""Hot reads without the ORM's per-query compilation (the read-side sibling of ``core/sql.py``).

An API read of a case is a handful of small indexed look-ups. Built through the ORM, each costs
0.5–2 ms of Python (cloning the queryset, resolving joins, compiling SQL, converting values)
against some 50 µs the database spends on it, so at 32 concurrent clients the ORM, not the
database, set the latency (docs/performance.md, "HTTP reads"). A ``Projection`` names a model's
columns under a table alias once; its SELECT list is built once per process and database vendor,
and rows are converted with the converters the ORM itself would apply (the backend's and the
field's ``from_db_value``), then turned into model instances with ``Model.from_db`` — what the
ORM hands out, minus the compilation. The SQL of each read stays next to its selector, written
out, so what a request costs is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection, models

from .sql import Converters, _field, _fields, convert_row, row_converters

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Projection:
    """Columns of ``model`` (by field name, in any order) read from the table aliased ``alias``."""

    model: type[models.Model]
    alias: str
    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        # from_db wants the loaded values in the order of the model's concrete fields.
        order = {f.name: i for i, f in enumerate(self.model._meta.concrete_fields)}
        object.__setattr__(self, "fields", tuple(sorted(self.fields, key=order.__getitem__)))

    @property
    def width(self) -> int:
        return len(self.fields)

    def columns(self) -> str:
        """``"alias"."col", …`` for a SELECT list."""
        return _columns(self, connection.vendor)

    def convert(self, values: Sequence[Any]) -> list[Any]:
        return list(convert_row(values, _converters(self, connection.vendor), connection))

    def instance(self, values: Sequence[Any]) -> models.Model | None:
        """A model instance from this projection's slice of a row (None when a LEFT JOIN found no row)."""
        converted = self.convert(values)
        pk_index = _pk_index(self)
        if pk_index is not None and converted[pk_index] is None:
            return None
        return self.model.from_db(connection.alias, _attnames(self), converted)


@lru_cache(maxsize=128)
def _columns(projection: Projection, vendor: str) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(projection.alias)}.{quote(_field(projection.model, n).column)}"
                     for n in projection.fields)


@lru_cache(maxsize=128)
def _converters(projection: Projection, vendor: str) -> Converters:
    return row_converters(_fields(projection.model, projection.fields), projection.alias, connection)


@lru_cache(maxsize=128)
def _attnames(projection: Projection) -> list[str]:
    return [_field(projection.model, n).attname for n in projection.fields]


@lru_cache(maxsize=128)
def _pk_index(projection: Projection) -> int | None:
    pk = projection.model._meta.pk
    assert pk is not None
    return projection.fields.index(pk.name) if pk.name in projection.fields else None


def prep(model: type[models.Model], name: str, value: Any) -> Any:
    """A query parameter as the field would write it (a UUID's hex on SQLite, a bool's 0/1 …)."""
    return _field(model, name).get_db_prep_value(value, connection, prepared=False)


def fetch(sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def split(row: Sequence[Any], *projections: Projection) -> list[Sequence[Any]]:
    """Cut a joined row into the slices of ``projections`` (in SELECT order)."""
    out, start = [], 0
    for p in projections:
        out.append(row[start:start + p.width])
        start += p.width
    return out


def all_fields(model: type[models.Model], alias: str) -> Projection:
    return Projection(model, alias, tuple(f.name for f in model._meta.concrete_fields))
