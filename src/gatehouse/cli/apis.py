"""`gatehouse api`, `grant` and `revoke`: APIs with their scopes and app roles, which
clients, people and groups hold which app roles, and which clients may exchange tokens for
which APIs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from gatehouse.admin import apis as api_admin
from gatehouse.admin import role_assignments as assignments
from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin.errors import AdminError
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime
from gatehouse.tokens.entra import API_PROFILES

F = TypeVar("F", bound=Callable[..., object])


@click.group()
def api() -> None:
    """APIs (resources): their scopes and app roles."""


def _api_options(func: F) -> F:
    options = [
        click.option("--name"),
        click.option(
            "--scope",
            "scopes",
            multiple=True,
            help="NAME=DESCRIPTION (repeatable): a delegated permission.",
        ),
        click.option(
            "--app-role",
            "roles",
            multiple=True,
            help="NAME=DESCRIPTION (repeatable): an application permission.",
        ),
        click.option(
            "--access-token-lifetime",
            type=int,
            help="Seconds (default: GATEHOUSE_ACCESS_TOKEN_LIFETIME).",
        ),
        click.option(
            "--admin-consent-required",
            "admin_only",
            multiple=True,
            help="NAME of a --scope (repeatable) that only an administrator can consent to, "
            "for everyone (`gatehouse consent grant-admin`); a person is never asked for it. "
            "Given: replaces the list; --admin-consent-required '' clears it.",
        ),
        click.option("--signing-alg", type=click.Choice(["RS256", "ES256"])),
        click.option(
            "--client",
            "client_id",
            help="The client that speaks for the API: it authenticates as this client for "
            "introspection and to exchange the tokens it receives (on-behalf-of).",
        ),
        click.option(
            "--token-profile",
            type=click.Choice(list(API_PROFILES)),
            help="rfc9068 (the default): RFC 9068 claims; entra: also the claims of Microsoft "
            "identity platform v2.0 tokens (scp, roles, oid, tid, ver, azp, azpacr), for APIs "
            "written with Microsoft's libraries (docs/microsoft-compatibility.md).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _api_spec(identifier: str, opts: dict[str, Any]) -> api_admin.ApiSpec:
    return api_admin.ApiSpec(
        identifier=identifier,
        name=opts["name"],
        scopes=[api_admin.parse_permission(v, "--scope") for v in opts["scopes"]] or None,
        roles=[api_admin.parse_permission(v, "--app-role") for v in opts["roles"]] or None,
        access_token_lifetime=opts["access_token_lifetime"],
        signing_alg=opts["signing_alg"],
        client_id=opts["client_id"],
        admin_consent_required=[n for n in opts["admin_only"] if n] if opts["admin_only"] else None,
        token_profile=opts["token_profile"],
    )


@api.command("create")
@click.option("--identifier", required=True, help="The API's URI; the `aud` of its tokens.")
@_api_options
@database_option
def api_create(runtime: Runtime, identifier: str, **opts: Any) -> None:
    emit(api_admin.save_api(runtime, _api_spec(identifier, opts), create=True))


@api.command("update")
@click.argument("identifier")
@_api_options
@database_option
def api_update(runtime: Runtime, identifier: str, **opts: Any) -> None:
    """Change an API; --scope and --app-role lists replace the stored ones."""
    emit(api_admin.save_api(runtime, _api_spec(identifier, opts), create=False))


@api.command("list")
@database_option
def api_list(runtime: Runtime) -> None:
    emit([api_admin.api_to_json(a) for a in runtime.store.apis.list()])


@api.command("show")
@click.argument("identifier")
@database_option
def api_show(runtime: Runtime, identifier: str) -> None:
    emit(api_admin.api_to_json(api_admin.get_api(runtime, identifier)))


@api.command("delete")
@click.argument("identifier")
@database_option
def api_delete(runtime: Runtime, identifier: str) -> None:
    emit(api_admin.delete_api(runtime, identifier))


@click.group()
def grant() -> None:
    """Grant application permissions and token exchanges."""


@click.group()
def revoke() -> None:
    """Revoke application permissions and token exchanges."""


def _role_options(func: F) -> F:
    func = click.option("--role", required=True)(func)
    func = click.option("--api", "api_identifier", required=True)(func)
    func = click.option(
        "--group", help="A group (id or name): its members' delegated tokens carry the role."
    )(func)
    func = click.option(
        "--user", help="A person (id, username or email): their delegated tokens carry the role."
    )(func)
    return click.option(
        "--client", "client_id", help="A client: its own (client_credentials) tokens carry it."
    )(func)


def _one_holder(client_id: str | None, user: str | None, group: str | None) -> None:
    if sum(v is not None for v in (client_id, user, group)) != 1:
        raise AdminError("name who holds the role: one of --client, --user or --group")


@grant.command("app-role")
@_role_options
@database_option
def grant_app_role(
    runtime: Runtime,
    client_id: str | None,
    user: str | None,
    group: str | None,
    api_identifier: str,
    role: str,
) -> None:
    """Give an app role of an API to a client (in its client_credentials tokens), or assign
    it to a person or a group (in the roles claim of their delegated tokens for the API)."""
    _one_holder(client_id, user, group)
    if client_id is not None:
        emit(api_admin.grant_app_role(runtime, client_id, api_identifier, role))
    else:
        emit(assignments.assign_app_role(runtime, api_identifier, role, user=user, group=group))


@revoke.command("app-role")
@_role_options
@database_option
def revoke_app_role(
    runtime: Runtime,
    client_id: str | None,
    user: str | None,
    group: str | None,
    api_identifier: str,
    role: str,
) -> None:
    _one_holder(client_id, user, group)
    if client_id is not None:
        emit(api_admin.revoke_app_role(runtime, client_id, api_identifier, role))
    else:
        emit(assignments.unassign_app_role(runtime, api_identifier, role, user=user, group=group))


@grant.command("list")
@click.option("--client", "client_id")
@click.option("--user", help="Only the app roles assigned to this person.")
@click.option("--group", help="Only the app roles assigned to this group.")
@click.option(
    "--kind",
    type=click.Choice(["app-role", "token-exchange"]),
    default="app-role",
    show_default=True,
)
@database_option
def grant_list(
    runtime: Runtime, client_id: str | None, user: str | None, group: str | None, kind: str
) -> None:
    """Every app-role grant (clients, then people and groups), or one holder's; or the
    token-exchange grants."""
    if kind == "token-exchange":
        emit(exchange_admin.list_token_exchange_grants(runtime, client_id))
    elif user is not None or group is not None:
        emit(assignments.list_assignments(runtime, user=user, group=group))
    elif client_id is not None:
        emit(api_admin.list_app_role_grants(runtime, client_id))
    else:
        emit(api_admin.list_app_role_grants(runtime, None) + assignments.list_assignments(runtime))


def _exchange_options(func: F) -> F:
    func = click.option("--api", "api_identifier", required=True)(func)
    return click.option("--client", "client_id", required=True)(func)


@grant.command("token-exchange")
@_exchange_options
@click.option(
    "--allow-impersonation",
    is_flag=True,
    help="Issue tokens without the act claim that names the client (RFC 8693 §1.1). Off "
    "unless given; granting again without it turns it off.",
)
@database_option
def grant_token_exchange(
    runtime: Runtime, client_id: str, api_identifier: str, allow_impersonation: bool
) -> None:
    """Let a client exchange the user tokens it receives for tokens for an API, on the
    user's behalf (RFC 8693)."""
    emit(
        exchange_admin.grant_token_exchange(
            runtime, client_id, api_identifier, impersonation=allow_impersonation
        )
    )


@revoke.command("token-exchange")
@_exchange_options
@database_option
def revoke_token_exchange(runtime: Runtime, client_id: str, api_identifier: str) -> None:
    emit(exchange_admin.revoke_token_exchange(runtime, client_id, api_identifier))
