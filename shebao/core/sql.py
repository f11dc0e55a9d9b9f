"""Single-row writes on the hot path of case handling, without the ORM's query compilation.

Every case transition writes an UPDATE (compare-and-set), a timeline row and an audit row. Built
through the ORM each statement costs more Python (query cloning, compilation) than the database
spends executing it; these helpers build the SQL once per model and column set and convert the
values with the fields' own ``get_db_prep_save``, so what lands in the database is exactly what
``Model.objects.create`` / ``QuerySet.update`` would write. No signals are sent: nothing listens
on these models (the supervision read model catches up from the rows themselves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.concrete, f"{model.__name__}.{name} is not a column"
    return field


def _value(field: models.Field[Any, Any], value: Any) -> Any:
    if field.is_relation and isinstance(value, models.Model):
        value = value.pk
    return field.get_db_prep_save(value, connection)


@lru_cache(maxsize=64)
def _insert_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_field(model, n).column) for n in names)
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"


def insert_one(model: type[models.Model], values: Mapping[str, Any]) -> None:
    """INSERT one row; ``values`` by field name (a foreign key by its name, with an instance or a pk)."""
    names = tuple(values)
    params = [_value(_field(model, n), values[n]) for n in names]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(model, names, connection.vendor), params)


@lru_cache(maxsize=128)
def _cas_sql(model: type[models.Model], names: tuple[str, ...], n_allowed: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    sets = "".join(f", {quote(_field(model, n).column)} = %s" for n in names)
    return (f"UPDATE {quote(model._meta.db_table)} SET status = %s, lock_version = lock_version + 1{sets} "
            f"WHERE id = %s AND lock_version = %s AND status IN ({', '.join(['%s'] * n_allowed)})")


def compare_and_set(model: type[models.Model], *, pk: int, lock_version: int, allowed: Sequence[str],
                    status: str, fields: Mapping[str, Any]) -> int:
    """``UPDATE … SET status, lock_version + 1, fields WHERE id AND lock_version AND status IN allowed``;
    returns the number of rows changed (1, or 0 when someone else changed the row first)."""
    names = tuple(fields)
    params = [status, *(_value(_field(model, n), fields[n]) for n in names), pk, lock_version, *allowed]
    with connection.cursor() as cursor:
        cursor.execute(_cas_sql(model, names, len(allowed), connection.vendor), params)
        return int(cursor.rowcount)
