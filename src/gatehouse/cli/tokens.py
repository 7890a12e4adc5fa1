"""`gatehouse token explain`: would an API accept this token, and if not, why not."""

from __future__ import annotations

import sys

import click

from gatehouse.admin.explain import explain_token
from gatehouse.cli.options import open_runtime
from gatehouse.cli.output import emit


@click.group()
def token() -> None:
    """Diagnostics for tokens."""


@token.command("explain")
@click.argument("value", metavar="TOKEN")
@click.option("--audience", help="The API identifier the receiving API expects in aud.")
@click.option(
    "--scope", "scopes", multiple=True, help="A delegated scope the API requires (repeatable)."
)
@click.option("--role", "roles", multiple=True, help="An app role the API requires (repeatable).")
@click.option("--issuer", help="Check against this issuer, fetching its JWKS over HTTP.")
@click.option("--database-url", envvar="GATEHOUSE_DATABASE_URL", default=None)
def token_explain(
    value: str,
    audience: str | None,
    scopes: tuple[str, ...],
    roles: tuple[str, ...],
    issuer: str | None,
    database_url: str | None,
) -> None:
    """Decode TOKEN without trusting it and say whether an API would accept it, and why
    not. Exits 0 when it would, 1 when it would not."""
    runtime = None
    if issuer is None:
        runtime = open_runtime(database_url)
        issuer = runtime.provider.config.issuer
    try:
        scope_list = tuple(s for item in scopes for s in item.split())
        result = explain_token(
            runtime,
            value,
            issuer=issuer.rstrip("/"),
            audience=audience,
            scopes=scope_list,
            roles=roles,
        )
    finally:
        if runtime is not None:
            runtime.close()
    emit(result.to_json())
    if not result.accepted:
        sys.exit(1)  # the explanation is the output: no error line
