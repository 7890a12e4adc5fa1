"""Settings, the database and the tenant for a command: ``--database-url``, ``--tenant``, and
turning what cannot work into one ``error:`` line rather than a traceback."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic_settings import SettingsError

from gatehouse import settings as settings_module
from gatehouse.admin.errors import AdminError
from gatehouse.cli.output import fail
from gatehouse.keys.encryption import KeyDecryptionError
from gatehouse.runtime import ConfigurationError, Runtime, build_runtime, tenant_runtime
from gatehouse.settings import Settings
from gatehouse.storage.sql.database import DatabaseUrlError
from gatehouse.storage.sql.migrate import migrate
from gatehouse.tenancy import DEFAULT_TENANT, TenantNameError, check_tenant_name

R = TypeVar("R")

database_url_option = click.option(
    "--database-url",
    envvar="GATEHOUSE_DATABASE_URL",
    default=None,
    help="Database URL (default: GATEHOUSE_DATABASE_URL, else the embedded SQLite file).",
)


# Where the group's `gatehouse --tenant NAME` (or GATEHOUSE_TENANT) is kept for the command.
TENANT_META = "gatehouse.tenant"

tenant_option = click.option(
    "--tenant",
    default=None,
    metavar="NAME",
    help="The tenant to work on (default: `gatehouse --tenant`, GATEHOUSE_TENANT, else default).",
)


def named_tenant(explicit: str | None = None) -> str | None:
    """The tenant the command line names: the command's own ``--tenant``, else the group's
    ``gatehouse --tenant`` or GATEHOUSE_TENANT; None if none does."""
    context = click.get_current_context(silent=True)
    from_group = context.meta.get(TENANT_META) if context is not None else None
    return explicit or from_group or None


def chosen_tenant(explicit: str | None = None) -> str:
    """The tenant a command works on: the one the command line names, else the default."""
    return named_tenant(explicit) or DEFAULT_TENANT


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
    database_url: str | None,
    *,
    issuer: str | None = None,
    run_migrations: bool = True,
    tenant: str | None = None,
) -> Runtime:
    """The runtime of the chosen tenant (``chosen_tenant(tenant)``); ``issuer`` is the base
    issuer, below which a tenant's own lives."""
    settings = load_settings(database_url=database_url)
    name = chosen_tenant(tenant)
    try:
        check_tenant_name(name)
    except TenantNameError as exc:
        fail(f"--tenant: {exc}")
    try:
        runtime = build_runtime(settings, issuer=issuer)
        if run_migrations:
            migrate(runtime.database)
        if name != DEFAULT_TENANT:
            runtime = _of_tenant(runtime, name)
    except (ConfigurationError, DatabaseUrlError) as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"cannot open the database: {one_line(exc)}")
    return runtime


def _of_tenant(default: Runtime, name: str) -> Runtime:
    tenant = default.store.tenants.get(name)
    if tenant is None:
        default.close()
        fail(
            f"there is no tenant {name!r} (`gatehouse tenant list` shows them; "
            f"`gatehouse tenant create {name}` makes one)"
        )
    # The command's runtime closes the database the default tenant's runtime opened.
    return dataclasses.replace(tenant_runtime(default, tenant), owns_database=True)


def database_option(func: Callable[..., R]) -> Callable[..., R]:
    """--database-url and --tenant on a command that works on the database: the command
    receives the chosen tenant's runtime, migrated, as its first argument, and a refused
    provisioning request becomes its error line."""

    @database_url_option
    @tenant_option
    @functools.wraps(func)
    def wrapper(*args: Any, database_url: str | None, tenant: str | None, **kwargs: Any) -> R:
        runtime = open_runtime(database_url, tenant=tenant)
        try:
            return func(runtime, *args, **kwargs)
        except (AdminError, KeyDecryptionError) as exc:
            fail(str(exc))
        finally:
            runtime.close()

    return wrapper
