"""Settings and the database for a command: ``--database-url``, and turning what cannot work
into one ``error:`` line rather than a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic_settings import SettingsError

from gatehouse import settings as settings_module
from gatehouse.admin.errors import AdminError
from gatehouse.cli.output import fail
from gatehouse.keys.encryption import KeyDecryptionError
from gatehouse.runtime import ConfigurationError, Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.storage.sql.database import DatabaseUrlError
from gatehouse.storage.sql.migrate import migrate

R = TypeVar("R")

database_url_option = click.option(
    "--database-url",
    envvar="GATEHOUSE_DATABASE_URL",
    default=None,
    help="Database URL (default: GATEHOUSE_DATABASE_URL, else the embedded SQLite file).",
)


def load_settings(**overrides: Any) -> Settings:
    try:
        return settings_module.load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))


def one_line(exc: Exception) -> str:
    """An unexpected exception as the tail of an error line: its type and the first line of
    its message, if it has one (a driver's message can run to many lines of SQL)."""
    first = next(iter(str(exc).splitlines()), "")[:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def open_runtime(
    database_url: str | None, *, issuer: str | None = None, run_migrations: bool = True
) -> Runtime:
    settings = load_settings(database_url=database_url)
    try:
        runtime = build_runtime(settings, issuer=issuer)
        if run_migrations:
            migrate(runtime.database)
    except (ConfigurationError, DatabaseUrlError) as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"cannot open the database: {one_line(exc)}")
    return runtime


def database_option(func: Callable[..., R]) -> Callable[..., R]:
    """--database-url on a command that works on the database: the command receives the
    runtime, migrated, as its first argument, and a refused provisioning request becomes its
    error line."""

    @database_url_option
    @functools.wraps(func)
    def wrapper(*args: Any, database_url: str | None, **kwargs: Any) -> R:
        runtime = open_runtime(database_url)
        try:
            return func(runtime, *args, **kwargs)
        except (AdminError, KeyDecryptionError) as exc:
            fail(str(exc))
        finally:
            runtime.close()

    return wrapper
