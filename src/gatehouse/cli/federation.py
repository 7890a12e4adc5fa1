"""`gatehouse federation`: upstream OpenID Connect identity providers people of this tenant
may sign in with (docs/federation.md). The client secret is read from standard input and
never printed back."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from gatehouse.admin import federation as federation_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit, fail
from gatehouse.runtime import Runtime


@click.group()
def federation() -> None:
    """Upstream identity providers ("Sign in with ..." buttons on the login page)."""


def _upstream_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--display-name", help='The button\'s label: "Sign in with NAME".'),
        click.option(
            "--discovery",
            "discovery_url",
            metavar="URL",
            help="The upstream's discovery document (…/.well-known/openid-configuration).",
        ),
        click.option("--client-id", help="The client id gatehouse is registered with upstream."),
        click.option(
            "--client-secret-stdin",
            is_flag=True,
            help="Read that client's secret from standard input (stored encrypted).",
        ),
        click.option(
            "--scope",
            "scopes",
            help='Scopes to ask the upstream for, space-separated (default "openid profile '
            'email").',
        ),
        click.option(
            "--claim",
            "claims",
            multiple=True,
            metavar="FIELD=CLAIM",
            help="Which upstream claim fills a local field (username, email, email_verified, "
            "name, given_name, family_name); repeatable; the list replaces the stored one.",
        ),
        click.option(
            "--jit/--no-jit",
            default=None,
            help="Whether a first sign-in may create the local account (default: no).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _spec(alias: str, opts: dict[str, Any]) -> federation_admin.UpstreamSpec:
    secret = None
    if opts["client_secret_stdin"]:
        secret = sys.stdin.readline().rstrip("\r\n")
        if not secret:
            fail("no client secret on standard input")
    return federation_admin.UpstreamSpec(
        alias=alias,
        display_name=opts["display_name"],
        discovery_url=opts["discovery_url"],
        client_id=opts["client_id"],
        client_secret=secret,
        scopes=opts["scopes"].split() if opts["scopes"] is not None else None,
        claim_mappings=federation_admin.parse_mappings(list(opts["claims"]))
        if opts["claims"]
        else None,
        jit=opts["jit"],
    )


@federation.command("add")
@click.argument("alias")
@_upstream_options
@database_option
def federation_add(runtime: Runtime, alias: str, **opts: Any) -> None:
    """Add upstream ALIAS; prints the redirect URI to register there."""
    emit(federation_admin.add_upstream(runtime, _spec(alias, opts)))


@federation.command("update")
@click.argument("alias")
@_upstream_options
@database_option
def federation_update(runtime: Runtime, alias: str, **opts: Any) -> None:
    """Change upstream ALIAS; what is not given stays."""
    emit(federation_admin.update_upstream(runtime, _spec(alias, opts)))


@federation.command("list")
@database_option
def federation_list(runtime: Runtime) -> None:
    emit(federation_admin.list_upstreams(runtime))


@federation.command("show")
@click.argument("alias")
@database_option
def federation_show(runtime: Runtime, alias: str) -> None:
    emit(federation_admin.show_upstream(runtime, alias))


@federation.command("remove")
@click.argument("alias")
@database_option
def federation_remove(runtime: Runtime, alias: str) -> None:
    """Remove upstream ALIAS and every link to it (local accounts stay)."""
    emit(federation_admin.remove_upstream(runtime, alias))
