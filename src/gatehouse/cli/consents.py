"""`gatehouse consent`: the consents users gave to clients, and the admin consents an
administrator gave for everyone."""

from __future__ import annotations

import click

from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.admin import consents as consent_admin
from gatehouse.admin import multi_tenant as multi_tenant_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def consent() -> None:
    """Consents users gave to clients, and admin consents for everyone."""


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


_ADMIN_SCOPE_HELP = (
    "A scope of the client's registration (repeatable): a bare name, <api>/<name>, or "
    "<api>/.default for all of the client's scopes of that API."
)


@consent.command("grant-admin")
@click.option("--client", "client_id", required=True)
@click.option("--scope", "scopes", multiple=True, help=f"{_ADMIN_SCOPE_HELP} Default: all.")
@database_option
def consent_grant_admin(runtime: Runtime, client_id: str, scopes: tuple[str, ...]) -> None:
    """Consent for everyone in the tenant: nobody is asked for these scopes any more, and
    admin-only scopes become usable. Adds to an earlier admin consent. For another tenant's
    multi-tenant application, it also adds the application to this tenant (its presence)."""
    emit(admin_consent_admin.grant_admin_consent(runtime, client_id, scopes))


@consent.command("revoke-admin")
@click.option("--client", "client_id", required=True)
@click.option("--scope", "scopes", multiple=True, help=f"{_ADMIN_SCOPE_HELP} Default: all.")
@database_option
def consent_revoke_admin(runtime: Runtime, client_id: str, scopes: tuple[str, ...]) -> None:
    """Withdraw an admin consent: people are asked again at their next sign-in, and the
    client's refresh tokens that relied on it stop working now."""
    emit(admin_consent_admin.revoke_admin_consent(runtime, client_id, scopes))


@consent.command("list-admin")
@click.option("--client", "client_id", help="Only this client's admin consent.")
@database_option
def consent_list_admin(runtime: Runtime, client_id: str | None) -> None:
    emit(admin_consent_admin.list_admin_consents(runtime, client_id))


@consent.command("list-presences")
@database_option
def consent_list_presences(runtime: Runtime) -> None:
    """Other tenants' multi-tenant applications usable in this tenant (their presences)."""
    emit(multi_tenant_admin.list_presences(runtime))


@consent.command("remove-presence")
@click.option("--client", "client_id", required=True)
@database_option
def consent_remove_presence(runtime: Runtime, client_id: str) -> None:
    """Remove another tenant's multi-tenant application from this tenant: its consents,
    codes and refresh tokens here stop working at once."""
    emit(multi_tenant_admin.remove_presence(runtime, client_id))
