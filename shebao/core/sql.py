"""Single-row writes on the hot path of case handling, without the ORM's query compilation.

Every case transition writes an UPDATE (compare-and-set), a timeline row and an audit row. Built
through the ORM each statement costs more Python (query cloning, compilation) than the database
spends executing it; these helpers build the SQL once per model and column set and convert the
values with the fields' own ``get_db_prep_save``, so what lands in the database is exactly what
``Model.objects.create`` / ``QuerySet.update`` would write. No signals are sent: nothing listens
on these models (the supervision read model catches up from the rows themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

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


# --------------------------------------------------------------------------- reads and more writes
#
# The same idea for the hot path's reads: the SELECT is built once per model, column set and
# WHERE clause, and each value goes through the converters the ORM itself would apply (the
# backend's, e.g. SQLite's text datetimes and 0/1 booleans, then the field's ``from_db_value``,
# e.g. JSON), so an instance made by ``from_db`` here equals one the ORM would have made.


@dataclass(frozen=True)
class _Reader:
    sql: str
    attnames: tuple[str, ...]
    # (position in the row, converters, the column expression the converters are given)
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self.converters:
            return tuple(row)
        values = list(row)
        for index, functions, expression in self.converters:
            value = values[index]
            for function in functions:
                value = function(value, expression, connection)
            values[index] = value
        return tuple(values)


def _reader_for(model: type[models.Model], fields: Sequence[models.Field[Any, Any]], tail: str) -> _Reader:
    quote = connection.ops.quote_name
    table = model._meta.db_table
    columns = ", ".join(f"{quote(table)}.{quote(f.column)}" for f in fields)
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(table)
        functions = tuple(connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        if functions:
            converters.append((index, functions, expression))
    return _Reader(sql=f"SELECT {columns} FROM {quote(table)} {tail}", attnames=tuple(f.attname for f in fields),
                   converters=tuple(converters))


@lru_cache(maxsize=128)
def _model_reader(model: type[models.Model], names: tuple[str, ...] | None, tail: str, vendor: str) -> _Reader:
    fields = model._meta.concrete_fields if names is None else [_field(model, n) for n in names]
    return _reader_for(model, list(fields), tail)


M = TypeVar("M", bound=models.Model)


def select_models(model: type[M], tail: str, params: Sequence[Any]) -> list[M]:
    """``SELECT <every column> FROM <table> <tail>`` as model instances (``Model.from_db``).

    ``tail`` is a constant SQL text (``WHERE … ORDER BY … LIMIT …``) with ``%s`` placeholders
    for ``params``; it is part of the cache key, so never put values into it."""
    reader = _model_reader(model, None, tail, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(reader.sql, params)
        rows = cursor.fetchall()
    return [model.from_db(connection.alias, reader.attnames, reader.convert(row)) for row in rows]


def select_values(model: type[models.Model], names: Sequence[str], tail: str,
                  params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """``SELECT <names> FROM <table> <tail>`` as tuples of Python values (as ``values_list``)."""
    reader = _model_reader(model, tuple(names), tail, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(reader.sql, params)
        rows = cursor.fetchall()
    return [reader.convert(row) for row in rows]


def convert_value(model: type[models.Model], name: str, value: Any) -> Any:
    """One raw value of ``model.name`` (e.g. from a sub-select) converted as the ORM would."""
    reader = _model_reader(model, (name,), "", connection.vendor)
    return reader.convert((value,))[0]


@lru_cache(maxsize=64)
def _insert_returning_sql(model: type[models.Model], vendor: str) -> tuple[str, tuple[str, ...]]:
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "
           f"RETURNING {pk}")
    return sql, tuple(f.name for f in fields)


def insert_instance(obj: models.Model) -> None:
    """INSERT a new instance with every column, as ``obj.save()`` would (fields' ``pre_save``:
    ``auto_now_add`` and the like), and set its primary key. No signals, no ``save()`` override:
    callers do what the model's ``save`` would (e.g. ``Case.applicant_key``)."""
    model = type(obj)
    sql, names = _insert_returning_sql(model, connection.vendor)
    params = []
    for name in names:
        field = _field(model, name)
        params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias


@lru_cache(maxsize=64)
def _insert_many_sql(model: type[models.Model], names: tuple[str, ...], n_rows: int, vendor: str) -> str:
    row = f"({', '.join(['%s'] * len(names))})"
    return _insert_sql(model, names, vendor).rsplit(" VALUES ", 1)[0] + " VALUES " + ", ".join([row] * n_rows)


def insert_many(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """One multi-row INSERT of ``rows`` (values in the order of ``names``); no primary keys back."""
    if not rows:
        return
    key = tuple(names)
    fields = [_field(model, n) for n in key]
    params = [_value(field, value) for row in rows for field, value in zip(fields, row, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_insert_many_sql(model, key, len(rows), connection.vendor), params)


@lru_cache(maxsize=128)
def _update_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> str:
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(_field(model, n).column)} = %s" for n in names)
    return f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"  # type: ignore[union-attr]


def update_fields(obj: models.Model, names: Sequence[str]) -> int:
    """``obj.save(update_fields=names)`` without the ORM: one UPDATE by primary key."""
    model = type(obj)
    key = tuple(names)
    params = [_value(_field(model, n), getattr(obj, _field(model, n).attname)) for n in key]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, key, connection.vendor), [*params, obj.pk])
        return int(cursor.rowcount)


def insert_instances(objs: Sequence[models.Model]) -> None:
    """One multi-row INSERT of new instances of one model, every column but the primary key (as
    ``bulk_create``, with the fields' ``pre_save``); the primary keys are not read back."""
    if not objs:
        return
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = tuple(f.name for f in fields)
    params = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for obj in objs for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_insert_many_sql(model, names, len(objs), connection.vendor), params)
