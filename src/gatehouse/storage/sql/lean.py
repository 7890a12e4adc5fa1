"""Lean statements: hot-path Core statements compiled once per dialect and run straight on
the driver's cursor (``Database.fetch_one``, ``fetch_all``, ``execute_count``)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class CompiledLean:
    sql: str
    positional: tuple[str, ...] | None  # parameter order for qmark drivers (SQLite)
    columns: tuple[str, ...]  # result column names of a SELECT
    json_columns: tuple[int, ...]  # their positions, decoded here when the driver does not
    json_params: frozenset[str]  # parameters bound to JSON columns, encoded here

    def row_dict(self, row: Sequence[Any]) -> dict[str, Any]:
        """A result row by column name, JSON columns decoded."""
        values = list(row)
        for i in self.json_columns:
            if isinstance(values[i], str):
                values[i] = json.loads(values[i])
        return dict(zip(self.columns, values, strict=True))

    def bind(self, params: Mapping[str, Any]) -> Any:
        """The parameters as the driver takes them, JSON values encoded."""
        if self.json_params:
            params = {
                k: json.dumps(v) if k in self.json_params and v is not None else v
                for k, v in params.items()
            }
        if self.positional is not None:
            return tuple(params[name] for name in self.positional)
        return params


class LeanStatement:
    """A hot-path Core statement run straight on the DBAPI cursor of a pooled connection.

    For a lookup by key, SQLAlchemy's execution pipeline costs several times the SQL itself;
    this compiles the statement once per dialect and skips the pipeline. Only for single
    statements that are atomic by themselves, with scalar, string and JSON columns (JSON
    parameters are sent as JSON text, which PostgreSQL's compiled SQL casts)."""

    def __init__(self, statement: sa.Select[Any] | sa.Update | sa.Insert | sa.Delete) -> None:
        self.statement = statement
        self._compiled: dict[str, CompiledLean] = {}

    def compiled(self, dialect: sa.Dialect) -> CompiledLean:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = _compile(self.statement, dialect)
            self._compiled[dialect.name] = found
        return found


def _compile(
    statement: sa.Select[Any] | sa.Update | sa.Insert | sa.Delete, dialect: sa.Dialect
) -> CompiledLean:
    compiled = statement.compile(dialect=dialect)
    selected = list(statement.selected_columns) if isinstance(statement, sa.Select) else []
    decode_json = not getattr(dialect, "supports_native_json_deserialization", False)
    return CompiledLean(
        sql=compiled.string,
        positional=tuple(compiled.positiontup or ()) if compiled.positional else None,
        columns=tuple(c.name for c in selected),
        json_columns=tuple(
            i for i, c in enumerate(selected) if decode_json and isinstance(c.type, sa.JSON)
        ),
        json_params=frozenset(
            name for name, bind in compiled.binds.items() if isinstance(bind.type, sa.JSON)
        ),
    )
