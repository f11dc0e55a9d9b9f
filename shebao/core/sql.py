"""Prepared statements for the hot path of case handling, without the ORM's query compilation.

Every case transition reads a few rows and writes an UPDATE (compare-and-set), a timeline row
and an audit row. Built through the ORM each statement costs more Python (query cloning,
compilation: 0.3–0.5 ms a statement on the bench machine) than the database spends executing it
(a raw indexed SELECT: ~30 µs). These helpers build the SQL once per model, column set and
clause, convert the values with the fields' own ``get_db_prep_save`` and the rows read with the
converters the ORM would apply, so what lands in the database, and what comes back, is exactly
what ``Model.objects.create`` / ``QuerySet.update`` / a queryset would write and read. No signals
are sent: nothing listens on these models (the supervision read model catches up from the rows
themselves).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

Field = models.Field[Any, Any]
M = TypeVar("M", bound=models.Model)


def _db() -> BaseDatabaseWrapper:
    # The connection itself, looked up once per statement: ``django.db.connection`` is a proxy
    # that looks the thread's connection up again on every attribute (fields' conversions use it
    # once per value).
    return connections[DEFAULT_DB_ALIAS]


def _field(model: type[models.Model], name: str) -> Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.concrete, f"{model.__name__}.{name} is not a column"
    return field


@lru_cache(maxsize=256)
def _fields(model: type[models.Model], names: tuple[str, ...]) -> tuple[Field, ...]:
    return tuple(_field(model, n) for n in names)


# Value types a field stores exactly as given (``get_db_prep_save`` returns them unchanged), so
# the conversion can be skipped for them: text in text columns, integers in integer columns and
# in foreign keys to integer keys, booleans in boolean columns, and None. Everything else
# (datetimes, dates, JSON, UUIDs, …) goes through the field.
_TEXT = (models.CharField, models.TextField, models.SlugField)
_INTEGER = (models.IntegerField, models.PositiveIntegerField, models.PositiveSmallIntegerField,
            models.SmallIntegerField, models.BigIntegerField, models.AutoField, models.BigAutoField)


@lru_cache(maxsize=1024)
def _as_is(field: Field) -> tuple[type, ...]:
    kind = type(field)
    if kind in _TEXT:
        return (str, type(None))
    if kind in _INTEGER:
        return (int, type(None))
    if kind is models.BooleanField:
        return (bool, type(None))
    if isinstance(field, models.ForeignKey) and type(field.target_field) in _INTEGER:
        return (int, type(None))
    return ()


def _value(field: Field, value: Any, db: BaseDatabaseWrapper) -> Any:
    if type(value) in _as_is(field):
        return value
    if field.is_relation and isinstance(value, models.Model):
        value = value.pk
    return field.get_db_prep_save(value, db)


def _quote(db: BaseDatabaseWrapper, name: str) -> str:
    return db.ops.quote_name(name)


# --------------------------------------------------------------------------- writes


@lru_cache(maxsize=64)
def _insert_sql(model: type[models.Model], names: tuple[str, ...], n_rows: int, vendor: str) -> str:
    db = _db()
    columns = ", ".join(_quote(db, f.column) for f in _fields(model, names))
    row = f"({', '.join(['%s'] * len(names))})"
    return f"INSERT INTO {_quote(db, model._meta.db_table)} ({columns}) VALUES {', '.join([row] * n_rows)}"


def insert_one(model: type[models.Model], values: Mapping[str, Any]) -> None:
    """INSERT one row; ``values`` by field name (a foreign key by its name, with an instance or a pk)."""
    db = _db()
    names = tuple(values)
    params = [_value(f, values[f.name], db) for f in _fields(model, names)]
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(model, names, 1, db.vendor), params)


def _new_row_fields(model: type[models.Model]) -> tuple[Field, ...]:
    return _fields(model, tuple(f.name for f in model._meta.concrete_fields if not f.primary_key))


@lru_cache(maxsize=64)
def _insert_returning_sql(model: type[models.Model], vendor: str) -> str:
    db = _db()
    names = tuple(f.name for f in _new_row_fields(model))
    return f"{_insert_sql(model, names, 1, vendor)} RETURNING {_quote(db, model._meta.pk.column)}"


def insert_instance(obj: models.Model) -> None:
    """INSERT a new instance with every column, as ``obj.save()`` would (fields' ``pre_save``:
    ``auto_now_add`` and the like), and set its primary key. No signals, no ``save()`` override:
    callers do what the model's ``save`` would (e.g. ``Case.applicant_key``)."""
    db = _db()
    model = type(obj)
    params = [_value(f, f.pre_save(obj, add=True), db) for f in _new_row_fields(model)]
    with db.cursor() as cursor:
        cursor.execute(_insert_returning_sql(model, db.vendor), params)
        row = cursor.fetchone()
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = db.alias


def insert_instances(objs: Sequence[models.Model]) -> None:
    """One multi-row INSERT of new instances of one model, every column but the primary key (as
    ``bulk_create``, with the fields' ``pre_save``); the primary keys are not read back."""
    if not objs:
        return
    db = _db()
    model = type(objs[0])
    fields = _new_row_fields(model)
    params = [_value(f, f.pre_save(obj, add=True), db) for obj in objs for f in fields]
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(model, tuple(f.name for f in fields), len(objs), db.vendor), params)


@lru_cache(maxsize=128)
def _update_sql(model: type[models.Model], names: tuple[str, ...], vendor: str) -> str:
    db = _db()
    sets = ", ".join(f"{_quote(db, f.column)} = %s" for f in _fields(model, names))
    return f"UPDATE {_quote(db, model._meta.db_table)} SET {sets} WHERE {_quote(db, model._meta.pk.column)} = %s"


def update_fields(obj: models.Model, names: Sequence[str]) -> int:
    """``obj.save(update_fields=names)`` without the ORM: one UPDATE by primary key."""
    db = _db()
    model = type(obj)
    key = tuple(names)
    params = [_value(f, getattr(obj, f.attname), db) for f in _fields(model, key)]
    with db.cursor() as cursor:
        cursor.execute(_update_sql(model, key, db.vendor), [*params, obj.pk])
        return int(cursor.rowcount)


@lru_cache(maxsize=128)
def _cas_sql(model: type[models.Model], names: tuple[str, ...], n_allowed: int, vendor: str) -> str:
    db = _db()
    sets = "".join(f", {_quote(db, f.column)} = %s" for f in _fields(model, names))
    return (f"UPDATE {_quote(db, model._meta.db_table)} SET status = %s, lock_version = lock_version + 1{sets} "
            f"WHERE id = %s AND lock_version = %s AND status IN ({', '.join(['%s'] * n_allowed)})")


def compare_and_set(model: type[models.Model], *, pk: int, lock_version: int, allowed: Sequence[str],
                    status: str, fields: Mapping[str, Any]) -> int:
    """``UPDATE … SET status, lock_version + 1, fields WHERE id AND lock_version AND status IN allowed``;
    returns the number of rows changed (1, or 0 when someone else changed the row first)."""
    db = _db()
    names = tuple(fields)
    params = [status, *(_value(f, fields[f.name], db) for f in _fields(model, names)), pk, lock_version, *allowed]
    with db.cursor() as cursor:
        cursor.execute(_cas_sql(model, names, len(allowed), db.vendor), params)
        return int(cursor.rowcount)


# --------------------------------------------------------------------------- reads
#
# The SELECT is built once per model, column set and clause, and each value goes through the
# converters the ORM itself would apply (the backend's, e.g. SQLite's text datetimes and 0/1
# booleans, then the field's ``from_db_value``, e.g. JSON), so an instance made by ``from_db``
# here equals one the ORM would have made.


# (position in the row, converters, the column expression the converters are given)
Converters = tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


def row_converters(fields: Sequence[Field], alias: str, db: BaseDatabaseWrapper) -> Converters:
    """The converters the ORM would apply to these columns read from the table aliased ``alias``,
    for the columns that have any (also used by ``core.reads`` for joined reads)."""
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(alias)
        functions = tuple(db.ops.get_db_converters(expression) + expression.get_db_converters(db))
        if functions:
            converters.append((index, functions, expression))
    return tuple(converters)


def convert_row(row: Sequence[Any], converters: Converters, db: BaseDatabaseWrapper) -> tuple[Any, ...]:
    if not converters:
        return tuple(row)
    values = list(row)
    for index, functions, expression in converters:
        value = values[index]
        for function in functions:
            value = function(value, expression, db)
        values[index] = value
    return tuple(values)


@dataclass(frozen=True)
class _Reader:
    sql: str
    attnames: tuple[str, ...]
    converters: Converters

    def convert(self, row: Sequence[Any], db: BaseDatabaseWrapper) -> tuple[Any, ...]:
        return convert_row(row, self.converters, db)


@lru_cache(maxsize=128)
def _reader(model: type[models.Model], names: tuple[str, ...] | None, tail: str, vendor: str) -> _Reader:
    db = _db()
    fields = model._meta.concrete_fields if names is None else _fields(model, names)
    table = model._meta.db_table
    columns = ", ".join(f"{_quote(db, table)}.{_quote(db, f.column)}" for f in fields)
    return _Reader(sql=f"SELECT {columns} FROM {_quote(db, table)} {tail}".rstrip(),
                   attnames=tuple(f.attname for f in fields), converters=row_converters(fields, table, db))


def select_models(model: type[M], tail: str, params: Sequence[Any]) -> list[M]:
    """``SELECT <every column> FROM <table> <tail>`` as model instances (``Model.from_db``).

    ``tail`` is a constant SQL text (``WHERE … ORDER BY … LIMIT …``) with ``%s`` placeholders
    for ``params``; it is part of the cache key, so never put values into it."""
    db = _db()
    reader = _reader(model, None, tail, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(reader.sql, params)
        rows = cursor.fetchall()
    return [model.from_db(db.alias, reader.attnames, reader.convert(row, db)) for row in rows]


def select_values(model: type[models.Model], names: Sequence[str], tail: str,
                  params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """``SELECT <names> FROM <table> <tail>`` as tuples of Python values (as ``values_list``)."""
    db = _db()
    reader = _reader(model, tuple(names), tail, db.vendor)
    with db.cursor() as cursor:
        cursor.execute(reader.sql, params)
        rows = cursor.fetchall()
    return [reader.convert(row, db) for row in rows]


def convert_value(model: type[models.Model], name: str, value: Any) -> Any:
    """One raw value of ``model.name`` (e.g. from a sub-select) converted as the ORM would."""
    db = _db()
    return _reader(model, (name,), "", db.vendor).convert((value,), db)[0]
