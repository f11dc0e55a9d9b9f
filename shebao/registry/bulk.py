"""Fast inserts for synthetic bulk data (``shebao demo``): rows as dicts of attribute names, values
adapted per column once, written with ``executemany`` in chunks. Bypasses model ``__init__`` and the
ORM's per-value compilation, which dominate ``bulk_create`` at hundreds of thousands of rows. No
signals, no returned keys: callers look keys up by a unique column when they need them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models

CHUNK = 5000


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: ops.adapt_datetimefield_value(v) if v is not None else None
    if isinstance(field, models.DateField):
        return lambda v: ops.adapt_datefield_value(v) if v is not None else None
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda v: ops.adapt_decimalfield_value(v, digits, places) if v is not None else None
    if isinstance(field, models.JSONField | models.UUIDField):
        return lambda v: field.get_db_prep_save(v, connection)
    return lambda v: v


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, chunk: int = CHUNK) -> int:
    """Insert ``rows`` (attribute name → Python value; missing fields take their default)."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    plan = []
    for field in fields:
        dynamic = field.has_default() and callable(field.default) and field.default not in (dict, list)
        plan.append((field.attname, _converter(field), dynamic, None if dynamic else field.get_default(), field))
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            params = []
            for row in rows[start:start + chunk]:
                values = []
                for attname, convert, dynamic, static, field in plan:
                    value = row[attname] if attname in row else field.get_default() if dynamic else static
                    values.append(convert(value))
                params.append(values)
            cursor.executemany(sql, params)
    return len(rows)


def keys(model: type[models.Model], column: str, values: Iterable[Any], *, chunk: int = CHUNK) -> dict[Any, int]:
    """Primary keys of the rows whose unique ``column`` is in ``values``."""
    out: dict[Any, int] = {}
    items = list(values)
    for start in range(0, len(items), chunk):
        out.update(model._default_manager.filter(**{f"{column}__in": items[start:start + chunk]})
                   .values_list(column, "pk"))
    return out
