"""Bring a database to the newest schema (``gatehouse migrate``; ``serve`` calls it too)."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.tables import tenants
from gatehouse.tenancy import DEFAULT_TENANT as DEFAULT_TENANT

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_LOCK_ID = 7263001


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(database: Database) -> tuple[str | None, str | None]:
    """Upgrade to head and make sure the ``default`` tenant exists. Returns (before, after)."""
    before = current_revision(database)
    config = _alembic_config()
    with database.engine.connect() as conn:
        if database.is_sqlite:
            # The first statement begins the transaction as BEGIN IMMEDIATE: one migrator at
            # a time across processes.
            conn = conn.execution_options(gatehouse_write=True)
        else:
            # One migrator at a time across processes and machines.
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_ID})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        if not database.is_sqlite:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_ID})")
            conn.commit()
    with database.write() as conn:
        exists = conn.execute(sa.select(tenants.c.id).where(tenants.c.id == DEFAULT_TENANT)).first()
        if exists is None:
            conn.execute(
                tenants.insert().values(
                    id=DEFAULT_TENANT,
                    tenant_id=DEFAULT_TENANT,
                    issuer=None,
                    created_at=int(time.time()),
                )
            )
    return before, current_revision(database)
