"""`gatehouse apply`: configuration as code."""

from __future__ import annotations

import click

from gatehouse.admin.apply import apply_file
from gatehouse.admin.apply_file import read_apply_file
from gatehouse.admin.errors import AdminError
from gatehouse.cli.options import database_url_option, named_tenant, open_runtime, tenant_option
from gatehouse.cli.output import emit, fail


@click.command("apply")
@click.argument("file", type=click.Path(dir_okay=False))
@database_url_option
@tenant_option
def apply_command(file: str, database_url: str | None, tenant: str | None) -> None:
    """Make the database match a YAML file of scopes, clients and users (idempotent). A
    `tenant:` key applies the file to that tenant, which must exist (`gatehouse tenant
    create`)."""
    try:
        declared = read_apply_file(file).tenant
    except AdminError as exc:
        fail(str(exc))
    # The tenant the command names, else the file's (apply_file refuses a disagreement).
    runtime = open_runtime(database_url, tenant=named_tenant(tenant) or declared)
    try:
        emit(apply_file(runtime, file))
    except AdminError as exc:
        fail(str(exc))
    finally:
        runtime.close()
