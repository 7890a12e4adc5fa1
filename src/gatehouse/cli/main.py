"""The `gatehouse` command: one module per command group beside this one, each printing
through cli/output.py (JSON on stdout, or one ``error:`` line on stderr and exit status 1)."""

from __future__ import annotations

import click

from gatehouse.cli.apis import api, grant, revoke
from gatehouse.cli.apply import apply_command
from gatehouse.cli.audit import audit
from gatehouse.cli.clients import client
from gatehouse.cli.config import config
from gatehouse.cli.consents import consent
from gatehouse.cli.database import migrate_command, purge_command
from gatehouse.cli.federation import federation
from gatehouse.cli.groups import group
from gatehouse.cli.issuers import issuer
from gatehouse.cli.keys import keys
from gatehouse.cli.options import TENANT_META
from gatehouse.cli.policy import policy
from gatehouse.cli.scopes import scope
from gatehouse.cli.serve import demo, serve
from gatehouse.cli.tenants import tenant
from gatehouse.cli.tokens import token
from gatehouse.cli.users import user

COMMANDS: tuple[click.Command, ...] = (
    serve,
    demo,
    migrate_command,
    purge_command,
    keys,
    client,
    api,
    grant,
    revoke,
    consent,
    user,
    group,
    scope,
    issuer,
    federation,
    apply_command,
    policy,
    tenant,
    audit,
    token,
    config,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, commands=COMMANDS)
@click.version_option(package_name="gatehouse")
@click.option(
    "--tenant",
    envvar="GATEHOUSE_TENANT",
    default=None,
    metavar="NAME",
    help="The tenant every command works on (default: the default tenant; docs/tenants.md).",
)
@click.pass_context
def cli(ctx: click.Context, tenant: str | None) -> None:
    """gatehouse: an OAuth 2.0 and OpenID Connect provider."""
    ctx.meta[TENANT_META] = tenant


def main() -> None:
    cli()
