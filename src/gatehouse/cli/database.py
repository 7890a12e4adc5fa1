"""`gatehouse migrate` and `gatehouse purge`: the schema and expired rows."""

from __future__ import annotations

import time

import click

from gatehouse.cli.options import database_option, one_line, open_runtime
from gatehouse.cli.output import emit, fail
from gatehouse.runtime import Runtime
from gatehouse.storage.sql.migrate import migrate


@click.command("migrate")
@click.option("--database-url", envvar="GATEHOUSE_DATABASE_URL", default=None)
def migrate_command(database_url: str | None) -> None:
    """Bring the database schema up to date."""
    runtime = open_runtime(database_url, run_migrations=False)
    try:
        before, after = migrate(runtime.database)
    except Exception as exc:
        fail(f"migration failed: {one_line(exc)}")
    finally:
        runtime.close()
    emit({"from": before, "to": after})


@click.command("purge")
@database_option
def purge_command(runtime: Runtime) -> None:
    """Delete expired codes, sessions, interactions, refresh tokens, deny-list entries and
    audit events past GATEHOUSE_AUDIT_RETENTION (serve does it every
    GATEHOUSE_PURGE_INTERVAL)."""
    deleted = runtime.purge(int(time.time()))
    emit({"deleted": deleted, "total": sum(deleted.values())})
