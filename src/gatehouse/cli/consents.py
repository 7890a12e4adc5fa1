"""`gatehouse consent`: the consents users gave to clients."""

from __future__ import annotations

import click

from gatehouse.admin import consents as consent_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def consent() -> None:
    """Consents users gave to clients."""


@consent.command("list")
@click.option("--user", "user_ref", required=True, help="id, username or email")
@database_option
def consent_list(runtime: Runtime, user_ref: str) -> None:
    emit(consent_admin.list_consents(runtime, user_ref))


@consent.command("revoke")
@click.option("--user", "user_ref", required=True, help="id, username or email")
@click.option("--client", "client_id", required=True)
@database_option
def consent_revoke(runtime: Runtime, user_ref: str, client_id: str) -> None:
    """Withdraw consent: ends the user's refresh tokens for the client; the next sign-in
    asks again."""
    emit(consent_admin.revoke_consent(runtime, user_ref, client_id))
