"""`gatehouse client`: register client applications and manage their secrets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gatehouse.admin import clients as client_admin
from gatehouse.admin.errors import AdminError
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit, warn
from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.protocol.grants.password import PASSWORD
from gatehouse.protocol.token import DEFAULT_GRANTS
from gatehouse.runtime import Runtime
from gatehouse.tokens.entra import CLIENT_PROFILES

F = TypeVar("F", bound=Callable[..., object])

# A JWK Set of a few public keys is a few KiB; the cap keeps a wrong file out of the database.
MAX_JWKS_FILE = 256 * 1024


@click.group()
def client() -> None:
    """Client applications."""


def _client_options(func: F) -> F:
    options = [
        click.option("--name"),
        click.option("--type", "client_type", type=click.Choice(["confidential", "public"])),
        click.option(
            "--secret", help="Use this secret (32+ characters) instead of a generated one."
        ),
        click.option("--redirect-uri", "redirect_uris", multiple=True),
        click.option("--post-logout-redirect-uri", "post_logout_redirect_uris", multiple=True),
        click.option(
            "--grant-type",
            "grant_types",
            multiple=True,
            help="A grant the client may use (repeatable): "
            f"{', '.join(g for g in DEFAULT_GRANTS if g != PASSWORD)}, or a legacy grant given "
            "to this client only: implicit, password.",
        ),
        click.option(
            "--response-type",
            "response_types",
            multiple=True,
            metavar="TYPE",
            help="A response type the client may use at /authorize (repeatable): code (the "
            'default), "code id_token", "code token", "code id_token token", and with the '
            'implicit grant "id_token", "id_token token".',
        ),
        click.option(
            "--scope", "scope", help='Scopes the client may request, e.g. "openid profile".'
        ),
        click.option(
            "--auth-method",
            type=click.Choice(list(SUPPORTED_METHODS)),
            help="How the client authenticates at the token endpoint.",
        ),
        click.option(
            "--jwks",
            "jwks_file",
            type=click.Path(dir_okay=False),
            help="private_key_jwt or signed request objects: a file holding the client's "
            "public JWK Set.",
        ),
        click.option(
            "--jwks-uri",
            help="private_key_jwt or signed request objects: where the client publishes its "
            "JWK Set.",
        ),
        click.option(
            "--refresh-rotation/--no-refresh-rotation",
            "refresh_token_rotation",
            default=None,
            help="Rotate refresh tokens on every use (default: on).",
        ),
        click.option(
            "--require-mfa/--no-require-mfa",
            "require_mfa",
            default=None,
            help="Every sign-in to this client needs a second factor (default: off; the "
            "tenant's mfa policy may require one anyway).",
        ),
        click.option(
            "--require-par/--no-require-par",
            "require_pushed_authorization_requests",
            default=None,
            help="The client must push its authorization requests to /par first (RFC 9126; "
            "default: off).",
        ),
        click.option(
            "--request-object-alg",
            "request_object_signing_alg",
            metavar="ALG",
            help="Accept signed request objects (RFC 9101) from the client, signed with ALG: "
            "RS256 or ES256 (verified with --jwks or --jwks-uri) or HS256 (with the secret; "
            'client_secret_jwt clients only); "" removes it.',
        ),
        click.option(
            "--require-dpop/--no-require-dpop",
            "require_dpop",
            default=None,
            help="Every token request of this client must carry a DPoP proof, so every token "
            "it gets is bound to its key (RFC 9449; default: off, a proof is optional).",
        ),
        click.option(
            "--groups-claim",
            type=click.Choice(["ids", "names", "none"]),
            help="Put the person's groups (by id or by name, nested ones included; at most "
            "200, docs/groups-and-roles.md) in the ID and access tokens of this client "
            "(default: none).",
        ),
        click.option(
            "--token-profile",
            type=click.Choice(list(CLIENT_PROFILES)),
            help="oidc (the default): OpenID Connect ID tokens; entra: also oid, tid and ver, "
            "and client_info in token responses, for apps written with MSAL "
            "(docs/microsoft-compatibility.md).",
        ),
        click.option(
            "--multi-tenant/--single-tenant",
            default=None,
            help="Multi-tenant: people of other tenants may use it where it has a presence "
            "(an admin consent there; docs/multi-tenant-apps.md). Its client_id must then be "
            "unique across tenants. Default: single-tenant.",
        ),
        click.option(
            "--first-party/--third-party",
            default=None,
            help="First-party clients skip the consent page.",
        ),
        click.option(
            "--web-origin",
            "web_origins",
            multiple=True,
            help="Extra browser origin allowed by CORS.",
        ),
        click.option(
            "--id-token-alg", "id_token_signing_alg", type=click.Choice(["RS256", "ES256"])
        ),
        click.option(
            "--backchannel-logout-uri",
            metavar="URI",
            help="Where gatehouse POSTs a logout token when a session the client took part in "
            'ends (OIDC Back-Channel Logout); "" removes it.',
        ),
        click.option(
            "--backchannel-logout-session-required/--no-backchannel-logout-session-required",
            default=None,
            help="The client needs sid in logout tokens (default: yes).",
        ),
        click.option(
            "--frontchannel-logout-uri",
            metavar="URI",
            help="A page gatehouse loads in an iframe when the person signs out (OIDC "
            'Front-Channel Logout); "" removes it.',
        ),
        click.option(
            "--frontchannel-logout-session-required/--no-frontchannel-logout-session-required",
            default=None,
            help="Add iss and sid to the front-channel logout URI (default: yes).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _spec(client_id: str, **opts: Any) -> client_admin.ClientSpec:
    def listed(values: tuple[str, ...]) -> list[str] | None:
        return list(values) if values else None

    return client_admin.ClientSpec(
        client_id=client_id,
        client_type=opts["client_type"],
        secret=opts["secret"],
        name=opts["name"],
        redirect_uris=listed(opts["redirect_uris"]),
        post_logout_redirect_uris=listed(opts["post_logout_redirect_uris"]),
        grant_types=listed(opts["grant_types"]),
        response_types=listed(opts["response_types"]),
        scopes=opts["scope"].split() if opts["scope"] is not None else None,
        auth_method=opts["auth_method"],
        first_party=opts["first_party"],
        web_origins=listed(opts["web_origins"]),
        id_token_signing_alg=opts["id_token_signing_alg"],
        jwks=_read_jwks(opts["jwks_file"]),
        jwks_uri=opts["jwks_uri"],
        refresh_token_rotation=opts["refresh_token_rotation"],
        backchannel_logout_uri=opts["backchannel_logout_uri"],
        backchannel_logout_session_required=opts["backchannel_logout_session_required"],
        frontchannel_logout_uri=opts["frontchannel_logout_uri"],
        frontchannel_logout_session_required=opts["frontchannel_logout_session_required"],
        require_mfa=opts["require_mfa"],
        require_pushed_authorization_requests=opts["require_pushed_authorization_requests"],
        request_object_signing_alg=opts["request_object_signing_alg"],
        require_dpop=opts["require_dpop"],
        groups_claim=opts["groups_claim"],
        token_profile=opts["token_profile"],
        multi_tenant=opts["multi_tenant"],
    )


def _read_jwks(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_JWKS_FILE + 1)
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from None
    if len(text) > MAX_JWKS_FILE:
        raise AdminError(f"{path} is larger than 256 KiB")
    try:
        document = json.loads(text)
    except ValueError:
        raise AdminError(f"{path} is not JSON") from None
    if not isinstance(document, dict):
        raise AdminError(f"{path} must hold a JWK Set object")
    return document


def _emit_with_warnings(result: dict[str, Any]) -> None:
    """The client's JSON, and each of its warnings (its legacy grants) on stderr as well."""
    emit(result)
    for warning in result.get("warnings", ()):
        warn(warning)


@client.command("create")
@click.option("--client-id", required=True)
@_client_options
@database_option
def client_create(runtime: Runtime, client_id: str, **opts: Any) -> None:
    """Register a client. A generated secret is printed once; only its hash is kept."""
    _emit_with_warnings(client_admin.create_client(runtime, _spec(client_id, **opts)))


@client.command("update")
@click.argument("client_id")
@_client_options
@click.option("--new-secret", is_flag=True, help="Replace the secret with a generated one.")
@database_option
def client_update(runtime: Runtime, client_id: str, new_secret: bool, **opts: Any) -> None:
    """Change a client; list options replace the stored list."""
    _emit_with_warnings(
        client_admin.update_client(runtime, _spec(client_id, **opts), new_secret=new_secret)
    )


@client.command("list")
@database_option
def client_list(runtime: Runtime) -> None:
    emit(client_admin.list_clients(runtime))


@client.command("show")
@click.argument("client_id")
@database_option
def client_show(runtime: Runtime, client_id: str) -> None:
    _emit_with_warnings(client_admin.get_client(runtime, client_id))


@client.command("delete")
@click.argument("client_id")
@database_option
def client_delete(runtime: Runtime, client_id: str) -> None:
    """Delete a client with its consents, codes and refresh tokens."""
    emit(client_admin.delete_client(runtime, client_id))


@client.group("secret")
def client_secret() -> None:
    """Several active secrets per client, for rotation without downtime."""


@client_secret.command("add")
@click.argument("client_id")
@click.option("--secret", help="Use this secret (32+ characters) instead of a generated one.")
@click.option("--expires-in", type=click.IntRange(1), help="Days until the secret expires.")
@database_option
def client_secret_add(
    runtime: Runtime, client_id: str, secret: str | None, expires_in: int | None
) -> None:
    """Add a secret (printed once); the existing ones keep working."""
    expires_at = int(time.time()) + expires_in * 86400 if expires_in else None
    emit(client_admin.add_secret(runtime, client_id, secret, expires_at))


@client_secret.command("list")
@click.argument("client_id")
@database_option
def client_secret_list(runtime: Runtime, client_id: str) -> None:
    """The client's secrets (ids and dates; the values are not stored)."""
    emit(client_admin.list_secrets(runtime, client_id))


@client_secret.command("revoke")
@click.argument("client_id")
@click.argument("secret_id")
@database_option
def client_secret_revoke(runtime: Runtime, client_id: str, secret_id: str) -> None:
    emit(client_admin.revoke_secret(runtime, client_id, secret_id))
