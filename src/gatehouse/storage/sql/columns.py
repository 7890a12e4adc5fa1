"""A record's columns, declared once: the fields of a frozen record dataclass
(storage/records.py) are columns of the same name in its table (storage/sql/tables.py).
``RecordColumns`` derives everything else from that pairing: the row mapping
(``record``), the values of an INSERT or UPDATE (``values``), and the bind parameters of
a lean INSERT (``bind_params``, ``params``). A new column is a new record field, a table
column and a migration; no mapper or insert dict restates it.

Conversions follow the field's declared type, so SQLite and PostgreSQL rows read alike:
``bool`` fields from SQLite's 0 and 1; ``tuple`` fields from JSON arrays (a NULL array, from
a column added later, reads as ``()``), written as lists; ``frozenset`` fields from JSON
arrays, written sorted.

Reading a row is on the hot path of every token request (client, code, refresh token,
user), so the work that can be done once is done at declaration: one C-level
``itemgetter`` fetches the row's values, only the fields that need it are converted, and
the record is built positionally.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

R = TypeVar("R")

Convert = Callable[[Any], Any]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return () if value is None else tuple(value)


def _as_frozenset(value: Any) -> frozenset[Any]:
    return frozenset(() if value is None else value)


def _as_list(value: Any) -> list[Any]:
    return list(value)


def _as_sorted_list(value: Any) -> list[Any]:
    return sorted(value)


def _unless_none(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _conversions(annotation: Any) -> tuple[Convert | None, Convert | None]:
    """(row value -> field value, field value -> column value) for a field's type; None
    where the value passes as it is."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            read, write = _conversions(members[0])
            return (
                None if read is None else _unless_none(read),
                None if write is None else _unless_none(write),
            )
        return None, None
    if annotation is bool:
        return bool, None  # SQLite gives 0 and 1
    if origin is tuple:
        return _as_tuple, _as_list
    if origin is frozenset:
        return _as_frozenset, _as_sorted_list
    return None, None


class RecordColumns(Generic[R]):
    """The columns of ``table`` that hold ``record_type``: one per field, same name.

    ``stored_elsewhere`` names fields that are not columns of ``table`` (an API's scopes
    live in another table); they must come last in the record and are passed to
    ``record`` by keyword. ``prefix`` reads rows whose columns were labelled
    ``<prefix><name>`` (a joined table's)."""

    def __init__(
        self,
        record_type: type[R],
        table: sa.Table,
        *,
        stored_elsewhere: Iterable[str] = (),
        prefix: str = "",
    ) -> None:
        if not dataclasses.is_dataclass(record_type):
            raise TypeError(f"{record_type.__name__} is not a dataclass")
        elsewhere = frozenset(stored_elsewhere)
        hints = typing.get_type_hints(record_type)
        fields = [f.name for f in dataclasses.fields(record_type)]
        names = tuple(name for name in fields if name not in elsewhere)
        if fields[: len(names)] != list(names):
            raise TypeError(f"{record_type.__name__}: fields stored elsewhere must come last")
        missing = [name for name in names if name not in table.c]
        if missing:
            raise TypeError(f"{table.name} has no column for {record_type.__name__}.{missing[0]}")
        self.record_type = record_type
        self._build: Callable[..., R] = record_type
        self.table = table
        self.names = names
        self.prefix = prefix
        self._stored_elsewhere = elsewhere
        conversions = [_conversions(hints[name]) for name in names]
        self._reads = tuple((i, read) for i, (read, _) in enumerate(conversions) if read)
        self._writes = tuple((i, write) for i, (_, write) in enumerate(conversions) if write)
        keys = [prefix + name for name in names]
        # itemgetter of one key returns the value itself, not a 1-tuple.
        single = operator.itemgetter(*keys) if len(keys) > 1 else None
        self._get: Callable[[Mapping[Any, Any]], tuple[Any, ...]] = (
            single if single is not None else lambda row: (row[keys[0]],)
        )
        self._attributes = operator.attrgetter(*names) if len(names) > 1 else None
        self._param_names = tuple(f"p_{name}" for name in names)

    def prefixed(self, prefix: str) -> RecordColumns[R]:
        """The same record read from columns labelled ``<prefix><name>``."""
        return RecordColumns(
            self.record_type, self.table, stored_elsewhere=self._stored_elsewhere, prefix=prefix
        )

    def columns(self) -> list[sa.Column[Any]]:
        """The record's columns, for a SELECT that reads no others."""
        return [self.table.c[name] for name in self.names]

    def labels(self) -> list[sa.Label[Any]]:
        """The record's columns, labelled with ``prefix``, for a SELECT that joins them."""
        return [self.table.c[name].label(self.prefix + name) for name in self.names]

    def record(self, row: Mapping[Any, Any], **stored_elsewhere: Any) -> R:
        """The record held by ``row`` (a mapping by column name, or by label)."""
        values = self._get(row)
        if not self._reads:
            return self._build(*values, **stored_elsewhere)
        converted = list(values)
        for i, read in self._reads:
            converted[i] = read(converted[i])
        return self._build(*converted, **stored_elsewhere)

    def _column_values(self, record: R) -> list[Any]:
        getter = self._attributes
        values = list(getter(record)) if getter else [getattr(record, self.names[0])]
        for i, write in self._writes:
            values[i] = write(values[i])
        return values

    def values(self, record: R, **other_columns: Any) -> dict[str, Any]:
        """Column -> value of ``record``, plus ``other_columns`` (``tenant_id``, columns that
        are not fields), for an INSERT or UPDATE."""
        return {**dict(zip(self.names, self._column_values(record), strict=True)), **other_columns}

    def bind_params(self, *other_columns: str) -> dict[str, sa.BindParameter[Any]]:
        """Column -> bind parameter ``p_<column>`` of the column's type, for the record's
        columns and ``other_columns``: the VALUES of a lean INSERT, built once."""
        return {
            name: sa.bindparam(f"p_{name}", type_=self.table.c[name].type)
            for name in (*other_columns, *self.names)
        }

    def params(self, record: R, **other_columns: Any) -> dict[str, Any]:
        """``p_<column>`` -> value of ``record`` and ``other_columns``: the parameters of a
        statement built with ``bind_params``."""
        params = dict(zip(self._param_names, self._column_values(record), strict=True))
        for name, value in other_columns.items():
            params[f"p_{name}"] = value
        return params
