"""The migrations and storage/sql's table definitions describe the same schema, on SQLite and
PostgreSQL: a column, an index or a type added to one and not the other fails here rather
than in production. And every migration can be undone and done again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.metadata import metadata
from gatehouse.storage.sql.migrate import _alembic_config, current_revision, head_revision
from tests.support.factories import make_client, make_daemon


def _differences(runtime: Runtime) -> list[object]:
    with runtime.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_the_migrated_schema_is_the_one_the_code_uses(runtime: Runtime) -> None:
    assert current_revision(runtime.database) == head_revision()
    assert _differences(runtime) == []


def test_every_migration_goes_down_and_up_again(runtime: Runtime) -> None:
    config = _alembic_config()
    with runtime.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")  # past every table issue 12 added, its data kept
        command.upgrade(config, "head")
    assert current_revision(runtime.database) == head_revision()
    assert _differences(runtime) == []


def test_clients_of_the_code_flow_keep_response_type_code(runtime: Runtime) -> None:
    """0013: every client that could use response_type=code before may use it after; a
    client without the code grant gets no response type."""
    make_client(runtime, "web")
    make_daemon(runtime, "daemon")
    config = _alembic_config()
    with runtime.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
        command.upgrade(config, "head")
    with runtime.database.engine.connect() as conn:
        result = conn.execute(sa.select(t.clients.c.client_id, t.clients.c.response_types))
        rows = {client_id: response_types for client_id, response_types in result}
    assert rows == {"web": ["code"], "daemon": []}
