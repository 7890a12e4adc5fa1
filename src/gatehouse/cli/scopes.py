"""`gatehouse scope`: custom scopes and the descriptions the consent page shows."""

from __future__ import annotations

import click

from gatehouse.admin import scopes as scope_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def scope() -> None:
    """Custom scopes."""


@scope.command("create")
@click.argument("name")
@click.option("--description", required=True, help="What the consent page shows.")
@database_option
def scope_create(runtime: Runtime, name: str, description: str) -> None:
    result, _changed = scope_admin.upsert_scope(runtime, name, description)
    emit(result)


@scope.command("list")
@database_option
def scope_list(runtime: Runtime) -> None:
    emit(scope_admin.list_scopes(runtime))


@scope.command("delete")
@click.argument("name")
@database_option
def scope_delete(runtime: Runtime, name: str) -> None:
    emit(scope_admin.delete_scope(runtime, name))
