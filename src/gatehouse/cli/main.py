"""The `gatehouse` command. Every provisioning command prints JSON on stdout and exits
non-zero with a one-line error on stderr."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import click
from pydantic_settings import SettingsError

from gatehouse import settings as settings_module
from gatehouse.admin import apis as api_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin import consents as consent_admin
from gatehouse.admin import scopes as scope_admin
from gatehouse.admin import users as user_admin
from gatehouse.admin.errors import AdminError
from gatehouse.keys.encryption import KeyDecryptionError
from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.runtime import ConfigurationError, Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.storage.sql.database import DatabaseUrlError
from gatehouse.storage.sql.migrate import migrate

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def emit(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))


def load_settings(**overrides: Any) -> Settings:
    try:
        return settings_module.load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc))
        raise


def open_runtime(
    database_url: str | None, *, issuer: str | None = None, run_migrations: bool = True
) -> Runtime:
    settings = load_settings(database_url=database_url)
    try:
        runtime = build_runtime(settings, issuer=issuer)
        if run_migrations:
            migrate(runtime.database)
    except (ConfigurationError, DatabaseUrlError) as exc:
        fail(str(exc))
        raise
    except Exception as exc:
        fail(f"cannot open the database: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        raise
    return runtime


def database_option(func: F) -> F:
    """--database-url on every command that touches the database."""

    @click.option(
        "--database-url",
        envvar="GATEHOUSE_DATABASE_URL",
        default=None,
        help="Database URL (default: GATEHOUSE_DATABASE_URL, else the embedded SQLite file).",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, database_url: str | None, **kwargs: Any) -> Any:
        runtime = open_runtime(database_url)
        try:
            return func(runtime, *args, **kwargs)
        except (AdminError, KeyDecryptionError) as exc:
            fail(str(exc))
        finally:
            runtime.close()

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gatehouse")
def cli() -> None:
    """gatehouse: an OAuth 2.0 and OpenID Connect provider."""


# -- server -----------------------------------------------------------------------------------


def _serve_options(func: F) -> F:
    func = click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=None,
        help="Worker processes (default: number of cores).",
    )(func)
    func = click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)(
        func
    )
    func = click.option("--host", default="127.0.0.1", show_default=True)(func)
    return click.option("--database-url", envvar="GATEHOUSE_DATABASE_URL", default=None)(func)


@cli.command()
@_serve_options
def serve(host: str, port: int, workers: int | None, database_url: str | None) -> None:
    """Migrate the database, create signing keys on first start, and serve."""
    from gatehouse.cli.server import run_server

    settings = load_settings(database_url=database_url)
    run_server(settings, host, port, workers or os.cpu_count() or 1)


@cli.command()
@_serve_options
def demo(host: str, port: int, workers: int | None, database_url: str | None) -> None:
    """Serve with a demo user, a demo client and the demo app at /demo."""
    from gatehouse.cli.demo import prepare_demo
    from gatehouse.cli.server import run_server

    settings = load_settings(database_url=database_url)
    settings = prepare_demo(settings, host, port)
    run_server(settings, host, port, workers or os.cpu_count() or 1)


@cli.command("migrate")
@click.option("--database-url", envvar="GATEHOUSE_DATABASE_URL", default=None)
def migrate_command(database_url: str | None) -> None:
    """Bring the database schema up to date."""
    runtime = open_runtime(database_url, run_migrations=False)
    try:
        before, after = migrate(runtime.database)
    except Exception as exc:
        fail(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
        raise
    finally:
        runtime.close()
    emit({"from": before, "to": after})


@cli.command("purge")
@database_option
def purge_command(runtime: Runtime) -> None:
    """Delete expired codes, sessions, interactions, refresh tokens and deny-list entries
    (serve does it every GATEHOUSE_PURGE_INTERVAL)."""
    import time

    from gatehouse.storage.sql.purge import purge_expired

    deleted = purge_expired(
        runtime.database, int(time.time()), runtime.provider.config.session_idle_lifetime
    )
    emit({"deleted": deleted, "total": sum(deleted.values())})


# -- keys -------------------------------------------------------------------------------------


@cli.group()
def keys() -> None:
    """Signing keys."""


def _key_json(key: Any, now: int, signing: set[str]) -> dict[str, Any]:
    if key.kid in signing:
        state = "signing"
    elif key.activates_at > now:
        state = "pre-published"
    elif key.published_until is not None and key.published_until <= now:
        state = "expired"
    else:
        state = "retired (still published)"
    return {
        "kid": key.kid,
        "alg": key.alg,
        "state": state,
        "created_at": key.created_at,
        "activates_at": key.activates_at,
        "retired_at": key.retired_at,
        "published_until": key.published_until,
    }


@keys.command("list")
@database_option
def keys_list(runtime: Runtime) -> None:
    """Every key with its state."""
    import time

    now = int(time.time())
    runtime.keys.ensure_signing_keys(now)
    emit([_key_json(k, now, _signing_kids(runtime)) for k in runtime.keys.list_keys()])


def _signing_kids(runtime: Runtime) -> set[str]:
    return {k.kid for k in runtime.keys.keyring().signing.values() if k.kid}


@keys.command("rotate")
@click.option(
    "--alg",
    "algs",
    multiple=True,
    type=click.Choice(["RS256", "ES256"]),
    help="Algorithm to rotate (repeatable; default: all).",
)
@click.option(
    "--delay",
    type=click.IntRange(0),
    default=None,
    help="Seconds before the new key signs (default: GATEHOUSE_KEY_ROTATION_DELAY).",
)
@database_option
def keys_rotate(runtime: Runtime, algs: tuple[str, ...], delay: int | None) -> None:
    """Publish a new key now, sign with it after the delay, keep old keys published until
    their tokens have expired."""
    import time

    settings = runtime.settings
    # The longest any token signed by a retiring key can live: an API may set its own
    # access token lifetime, longer than the default.
    api_lifetimes = [
        timedelta(seconds=api.access_token_lifetime)
        for api in runtime.store.apis.list()
        if api.access_token_lifetime
    ]
    # An ID token also serves as id_token_hint (sign-out, prompt=none) for as long as its
    # SSO session can live, expired or not (RP-Initiated Logout 1.0 §2): the key that signed
    # it must still verify it then.
    max_lifetime = max(
        settings.access_token_lifetime,
        settings.id_token_lifetime,
        settings.session_absolute_lifetime,
        *api_lifetimes,
    )
    created = runtime.keys.rotate(
        algs or ("RS256", "ES256"),
        timedelta(seconds=delay) if delay is not None else settings.key_rotation_delay,
        max_lifetime,
    )
    now = int(time.time())
    # A key rotated in with no delay signs at once: report it as such.
    emit({"created": [_key_json(k, now, _signing_kids(runtime)) for k in created]})


# -- clients ----------------------------------------------------------------------------------


@cli.group()
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
        click.option("--grant-type", "grant_types", multiple=True),
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
            help="private_key_jwt: a file holding the client's public JWK Set.",
        ),
        click.option("--jwks-uri", help="private_key_jwt: where the client publishes its JWK Set."),
        click.option(
            "--refresh-rotation/--no-refresh-rotation",
            "refresh_token_rotation",
            default=None,
            help="Rotate refresh tokens on every use (default: on).",
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
        scopes=opts["scope"].split() if opts["scope"] is not None else None,
        auth_method=opts["auth_method"],
        first_party=opts["first_party"],
        web_origins=listed(opts["web_origins"]),
        id_token_signing_alg=opts["id_token_signing_alg"],
        jwks=_read_jwks(opts["jwks_file"]),
        jwks_uri=opts["jwks_uri"],
        refresh_token_rotation=opts["refresh_token_rotation"],
    )


def _read_jwks(path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(256 * 1024 + 1)
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror}") from None
    if len(text) > 256 * 1024:
        raise AdminError(f"{path} is larger than 256 KiB")
    try:
        document = json.loads(text)
    except ValueError:
        raise AdminError(f"{path} is not JSON") from None
    if not isinstance(document, dict):
        raise AdminError(f"{path} must hold a JWK Set object")
    return document


@client.command("create")
@click.option("--client-id", required=True)
@_client_options
@database_option
def client_create(runtime: Runtime, client_id: str, **opts: Any) -> None:
    """Register a client. A generated secret is printed once; only its hash is kept."""
    emit(client_admin.create_client(runtime, _spec(client_id, **opts)))


@client.command("update")
@click.argument("client_id")
@_client_options
@click.option("--new-secret", is_flag=True, help="Replace the secret with a generated one.")
@database_option
def client_update(runtime: Runtime, client_id: str, new_secret: bool, **opts: Any) -> None:
    """Change a client; list options replace the stored list."""
    emit(client_admin.update_client(runtime, _spec(client_id, **opts), new_secret=new_secret))


@client.command("list")
@database_option
def client_list(runtime: Runtime) -> None:
    emit(client_admin.list_clients(runtime))


@client.command("show")
@click.argument("client_id")
@database_option
def client_show(runtime: Runtime, client_id: str) -> None:
    emit(client_admin.get_client(runtime, client_id))


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
    import time

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


# -- APIs and application permissions ---------------------------------------------------------


@cli.group()
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
        click.option("--signing-alg", type=click.Choice(["RS256", "ES256"])),
        click.option(
            "--client", "client_id", help="The client the API authenticates as for introspection."
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


@cli.group()
def grant() -> None:
    """Grant application permissions."""


@cli.group()
def revoke() -> None:
    """Revoke application permissions."""


def _role_options(func: F) -> F:
    func = click.option("--role", required=True)(func)
    func = click.option("--api", "api_identifier", required=True)(func)
    return click.option("--client", "client_id", required=True)(func)


@grant.command("app-role")
@_role_options
@database_option
def grant_app_role(runtime: Runtime, client_id: str, api_identifier: str, role: str) -> None:
    """Give a client an app role of an API (it appears in client_credentials tokens)."""
    emit(api_admin.grant_app_role(runtime, client_id, api_identifier, role))


@revoke.command("app-role")
@_role_options
@database_option
def revoke_app_role(runtime: Runtime, client_id: str, api_identifier: str, role: str) -> None:
    emit(api_admin.revoke_app_role(runtime, client_id, api_identifier, role))


@grant.command("list")
@click.option("--client", "client_id")
@database_option
def grant_list(runtime: Runtime, client_id: str | None) -> None:
    """Every app-role grant, or one client's."""
    emit(api_admin.list_app_role_grants(runtime, client_id))


# -- consents ---------------------------------------------------------------------------------


@cli.group()
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


# -- users ------------------------------------------------------------------------------------


@cli.group()
def user() -> None:
    """User accounts."""


def _profile_options(func: F) -> F:
    options = [
        click.option("--email"),
        click.option("--email-verified/--email-unverified", default=None),
        click.option("--name"),
        click.option("--given-name"),
        click.option("--family-name"),
        click.option("--phone", "phone_number"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _read_password(password: str | None, password_stdin: bool) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            fail("no password on standard input")
        return value
    if password is None:
        fail("give the password with --password-stdin (or --password)")
    assert password is not None
    return password


@user.command("create")
@click.option("--username", required=True)
@click.option(
    "--password", help="Prefer --password-stdin: arguments are visible to other processes."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_profile_options
@database_option
def user_create(
    runtime: Runtime, username: str, password: str | None, password_stdin: bool, **profile: Any
) -> None:
    emit(
        user_admin.create_user(
            runtime, username, _read_password(password, password_stdin), **profile
        )
    )


@user.command("update")
@click.argument("user")
@_profile_options
@database_option
def user_update(runtime: Runtime, user: str, **profile: Any) -> None:
    """Change profile fields of USER (id, username or email)."""
    emit(user_admin.update_user(runtime, user, **profile))


@user.command("set-password")
@click.argument("user")
@click.option("--password")
@click.option("--password-stdin", is_flag=True)
@database_option
def user_set_password(
    runtime: Runtime, user: str, password: str | None, password_stdin: bool
) -> None:
    """Set a new password; ends the user's sessions and refresh tokens."""
    emit(user_admin.set_password(runtime, user, _read_password(password, password_stdin)))


@user.command("disable")
@click.argument("user")
@database_option
def user_disable(runtime: Runtime, user: str) -> None:
    """Block sign-in; ends the user's sessions and refresh tokens."""
    emit(user_admin.set_disabled(runtime, user, True))


@user.command("enable")
@click.argument("user")
@database_option
def user_enable(runtime: Runtime, user: str) -> None:
    emit(user_admin.set_disabled(runtime, user, False))


@user.command("list")
@database_option
def user_list(runtime: Runtime) -> None:
    emit(user_admin.list_users(runtime))


@user.command("show")
@click.argument("user")
@database_option
def user_show(runtime: Runtime, user: str) -> None:
    emit(user_admin.user_to_json(user_admin.find_user(runtime, user)))


@user.command("delete")
@click.argument("user")
@database_option
def user_delete(runtime: Runtime, user: str) -> None:
    emit(user_admin.delete_user(runtime, user))


# -- scopes -----------------------------------------------------------------------------------


@cli.group()
def scope() -> None:
    """Custom scopes."""


@scope.command("create")
@click.argument("name")
@click.option("--description", required=True, help="What the consent page shows.")
@database_option
def scope_create(runtime: Runtime, name: str, description: str) -> None:
    result, _changed = scope_admin.upsert_scope(runtime, name, description)
    emit(result)


@scope.command("list")
@database_option
def scope_list(runtime: Runtime) -> None:
    emit(scope_admin.list_scopes(runtime))


@scope.command("delete")
@click.argument("name")
@database_option
def scope_delete(runtime: Runtime, name: str) -> None:
    emit(scope_admin.delete_scope(runtime, name))


# -- apply ------------------------------------------------------------------------------------


@cli.command("apply")
@click.argument("file", type=click.Path(dir_okay=False))
@database_option
def apply_command(runtime: Runtime, file: str) -> None:
    """Make the database match a YAML file of scopes, clients and users (idempotent)."""
    from gatehouse.admin.apply import apply_file

    emit(apply_file(runtime, file))


# -- diagnostics ------------------------------------------------------------------------------


@cli.group()
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
    from gatehouse.admin.explain import explain_token

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
        sys.exit(1)


# -- config -----------------------------------------------------------------------------------


@cli.group()
def config() -> None:
    """Settings."""


@config.command("docs")
def config_docs() -> None:
    """Print docs/configuration.md, generated from the settings model."""
    from gatehouse.cli.configdocs import configuration_markdown

    click.echo(configuration_markdown(), nl=False)


def main() -> None:
    cli()
