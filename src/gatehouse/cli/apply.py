"""`gatehouse apply`: configuration as code."""

from __future__ import annotations

import click

from gatehouse.admin.apply import apply_file
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.command("apply")
@click.argument("file", type=click.Path(dir_okay=False))
@database_option
def apply_command(runtime: Runtime, file: str) -> None:
    """Make the database match a YAML file of scopes, clients and users (idempotent)."""
    emit(apply_file(runtime, file))
