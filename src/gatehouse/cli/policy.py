"""`gatehouse policy`: the tenant's policy (lockout thresholds and other per-tenant rules)."""

from __future__ import annotations

import click

from gatehouse.admin import policy as policy_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def policy() -> None:
    """The tenant's policy: rules an operator sets per organisation."""


@policy.command("show")
@click.option("--describe", is_flag=True, help="every key with its default and meaning")
@database_option
def policy_show(runtime: Runtime, describe: bool) -> None:
    emit(policy_admin.describe_policy() if describe else policy_admin.show_policy(runtime))


@policy.command("set")
@click.argument("assignments", nargs=-1, metavar="KEY=VALUE...")
@click.option("--reset", multiple=True, metavar="KEY", help="put KEY back to its default")
@database_option
def policy_set(runtime: Runtime, assignments: tuple[str, ...], reset: tuple[str, ...]) -> None:
    """Change keys (durations in seconds or ISO 8601); prints the whole policy."""
    emit(policy_admin.set_policy(runtime, assignments, reset))
