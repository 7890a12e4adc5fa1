"""`gatehouse tenant`: the organisations one gatehouse serves (docs/tenants.md)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gatehouse.admin import tenants as tenant_admin
from gatehouse.admin.errors import AdminError
from gatehouse.cli.options import database_url_option, open_runtime
from gatehouse.cli.output import emit, fail
from gatehouse.runtime import Runtime
from gatehouse.tenancy import DEFAULT_TENANT

R = TypeVar("R")

_set = click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="A tenant setting (repeatable): display_name, logo_url, accent_colour, "
    "background_colour, and lifetimes overriding the server's (`tenant show --describe`).",
)


def _on_default_tenant(func: Callable[..., R]) -> Callable[..., R]:
    """--database-url; the command runs on the default tenant's runtime, whatever tenant
    the group names (a tenant command names its tenant as its argument)."""

    @database_url_option
    @functools.wraps(func)
    def wrapper(*args: Any, database_url: str | None, **kwargs: Any) -> R:
        runtime = open_runtime(database_url, tenant=DEFAULT_TENANT)
        try:
            return func(runtime, *args, **kwargs)
        except AdminError as exc:
            fail(str(exc))
        finally:
            runtime.close()

    return wrapper


@click.group("tenant")
def tenant() -> None:
    """Tenants: organisations with their own issuer, keys, clients, users and settings."""


@tenant.command("create")
@click.argument("name")
@_set
@_on_default_tenant
def tenant_create(runtime: Runtime, name: str, assignments: tuple[str, ...]) -> None:
    """Create tenant NAME (served at <issuer>/t/NAME) with its own signing keys."""
    emit(tenant_admin.create_tenant(runtime, name, assignments))


@tenant.command("list")
@_on_default_tenant
def tenant_list(runtime: Runtime) -> None:
    """Every tenant with its issuer."""
    emit(tenant_admin.list_tenants(runtime))


@tenant.command("show")
@click.argument("name", required=False)
@click.option("--describe", is_flag=True, help="every tenant setting and its meaning")
@_on_default_tenant
def tenant_show(runtime: Runtime, name: str | None, describe: bool) -> None:
    """Tenant NAME: its issuer and settings."""
    if describe:
        emit(tenant_admin.describe_settings())
        return
    if name is None:
        fail("name the tenant to show: gatehouse tenant show NAME")
    emit(tenant_admin.show_tenant(runtime, name))


@tenant.command("update")
@click.argument("name")
@_set
@click.option("--reset", multiple=True, metavar="KEY", help="back to the server's (repeatable)")
@_on_default_tenant
def tenant_update(
    runtime: Runtime, name: str, assignments: tuple[str, ...], reset: tuple[str, ...]
) -> None:
    """Change tenant NAME's settings; running servers rebuild it within seconds."""
    emit(tenant_admin.update_tenant(runtime, name, assignments, reset))


@tenant.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@_on_default_tenant
def tenant_delete(runtime: Runtime, name: str, yes: bool) -> None:
    """Delete tenant NAME and everything it holds: clients, users, keys, tokens, logs."""
    if not yes:
        if not sys.stdin.isatty():
            fail(f"deleting tenant {name!r} removes everything it holds: pass --yes to confirm")
        try:
            confirmed = click.confirm(
                f"Delete tenant {name!r} and all its clients, users, keys and sessions?",
                default=False,
                err=True,
            )
        except click.Abort:
            confirmed = False
        if not confirmed:
            fail(f"tenant {name!r} was not deleted: confirm, or pass --yes")
    emit(tenant_admin.delete_tenant(runtime, name))
