"""storage.sql.columns: a record's columns declared once; row mapping, INSERT values and
lean parameters derived from the declaration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.lean import LeanStatement


@dataclass(frozen=True)
class Widget:
    id: str
    enabled: bool
    tags: tuple[str, ...]
    owners: frozenset[str]
    note: str | None
    retired: bool | None
    sizes: tuple[int, ...] | None
    extras: tuple[str, ...] = ()


_metadata = sa.MetaData()
widgets = sa.Table(
    "widgets",
    _metadata,
    sa.Column("tenant_id", sa.String(8), nullable=False),
    sa.Column("id", sa.String(8), primary_key=True),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("owners", sa.JSON, nullable=False),
    sa.Column("note", sa.String(64), nullable=True),
    sa.Column("retired", sa.Boolean, nullable=True),
    sa.Column("sizes", sa.JSON, nullable=True),
    sa.Column("extras", sa.JSON, nullable=True),
    sa.Column("created_at", sa.Integer, nullable=True),  # a column that is no field
)
WIDGET = RecordColumns(Widget, widgets)
SAMPLE = Widget("w1", True, ("a", "b"), frozenset({"y", "x"}), None, None, (3, 1), ("e",))


def test_values_are_the_columns_of_every_field_plus_the_others_given() -> None:
    assert WIDGET.values(SAMPLE, tenant_id="t", created_at=5) == {
        "id": "w1",
        "enabled": True,
        "tags": ["a", "b"],  # JSON arrays are written as lists
        "owners": ["x", "y"],  # sets are written sorted, so equal sets store equal rows
        "note": None,
        "retired": None,
        "sizes": [3, 1],
        "extras": ["e"],
        "tenant_id": "t",
        "created_at": 5,
    }


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # As SQLite gives them: booleans as 0 and 1, JSON arrays as lists.
        (
            {"id": "w1", "enabled": 1, "tags": ["a"], "owners": ["x"], "note": "n",
             "retired": 0, "sizes": [2], "extras": ["e"], "tenant_id": "t", "created_at": 1},
            Widget("w1", True, ("a",), frozenset({"x"}), "n", False, (2,), ("e",)),
        ),
        # NULLs: an optional field stays None; a required array added later reads as ().
        (
            {"id": "w2", "enabled": False, "tags": [], "owners": [], "note": None,
             "retired": None, "sizes": None, "extras": None},
            Widget("w2", False, (), frozenset(), None, None, None, ()),
        ),
    ],
)  # fmt: skip
def test_a_row_reads_as_its_record(row: dict[str, Any], expected: Widget) -> None:
    record = WIDGET.record(row)
    assert record == expected
    assert type(record.enabled) is bool and type(record.tags) is tuple


def test_a_record_survives_a_round_trip_through_the_database() -> None:
    engine = sa.create_engine("sqlite://")
    _metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(widgets.insert().values(WIDGET.values(SAMPLE, tenant_id="t")))
        row = conn.execute(sa.select(*WIDGET.columns())).mappings().one()
    assert WIDGET.record(row) == SAMPLE
    assert [c.name for c in WIDGET.columns()] == list(WIDGET.names)  # no column it lacks


def test_lean_parameters_match_the_bind_parameters_of_a_lean_insert() -> None:
    binds = WIDGET.bind_params("tenant_id")
    assert list(binds) == ["tenant_id", *WIDGET.names]
    assert {b.key for b in binds.values()} == {f"p_{name}" for name in binds}
    insert = LeanStatement(widgets.insert().values(binds))
    params = WIDGET.params(SAMPLE, tenant_id="t")
    assert set(params) == {b.key for b in binds.values()}
    assert params["p_owners"] == ["x", "y"] and params["p_tenant_id"] == "t"
    engine = sa.create_engine("sqlite://")
    _metadata.create_all(engine)
    compiled = insert.compiled(engine.dialect)
    with engine.begin() as conn:
        conn.connection.cursor().execute(compiled.sql, compiled.bind(params))
        row = conn.execute(sa.select(widgets)).mappings().one()
    assert WIDGET.record(row) == SAMPLE


def test_a_prefixed_declaration_reads_labelled_columns() -> None:
    joined = WIDGET.prefixed("widget__")
    assert [label.name for label in joined.labels()] == [f"widget__{n}" for n in WIDGET.names]
    row = {f"widget__{k}": v for k, v in WIDGET.values(SAMPLE).items()}
    assert joined.record(row) == SAMPLE


@dataclass(frozen=True)
class Parent:
    id: str
    children: tuple[str, ...]


@dataclass(frozen=True)
class ChildrenFirst:
    children: tuple[str, ...]
    id: str


def test_fields_stored_elsewhere_are_given_by_keyword() -> None:
    parents = RecordColumns(Parent, widgets, stored_elsewhere=("children",))
    assert parents.names == ("id",)
    assert parents.record({"id": "p"}, children=("c",)) == Parent("p", ("c",))
    assert parents.values(Parent("p", ("c",))) == {"id": "p"}


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        (lambda: RecordColumns(Parent, widgets), "widgets has no column for Parent.children"),
        (
            lambda: RecordColumns(ChildrenFirst, widgets, stored_elsewhere=("children",)),
            "fields stored elsewhere must come last",
        ),
        (lambda: RecordColumns(dict, widgets), "is not a dataclass"),  # type: ignore[arg-type]
    ],
)
def test_a_declaration_that_does_not_fit_its_table_fails_at_import(
    declare: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        declare()
