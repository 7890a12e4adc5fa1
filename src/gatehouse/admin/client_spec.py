"""What an operator asks for when registering or changing a client (``ClientSpec``), and the
rules of the flow decision table it must pass, one named step each, so an impossible client
cannot exist. ``validated_client`` merges a spec over the existing client (or the defaults)
and runs the steps in order; the first rule broken is the ``AdminError`` the operator sees.
The steps of how a client obtains tokens, sends requests and registers its keys are in
client_grants.py, client_requests.py and client_keys.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from gatehouse.admin import client_requests
from gatehouse.admin.client_grants import (
    REDIRECTING_GRANTS,
    checked_grant_types,
    checked_response_types,
)
from gatehouse.admin.client_keys import client_keys
from gatehouse.admin.errors import AdminError
from gatehouse.admin.token_profiles import checked_profile
from gatehouse.errors import InvalidScope
from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.protocol.grants.jwt_bearer import GRANT_TYPE as JWT_BEARER
from gatehouse.protocol.redirect_uris import (
    check_registrable,
    origin_of,
    server_url_problem,
)
from gatehouse.protocol.scopes import STANDARD_SCOPES, registrable
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import AuthMethod, Client, ClientType, GroupsClaim
from gatehouse.tokens.entra import CLIENT_PROFILES

T = TypeVar("T")

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:~@-]{1,255}")


@dataclass
class ClientSpec:
    """What an operator asks for; None means 'keep' on update and 'default' on create."""

    client_id: str
    client_type: str | None = None
    secret: str | None = None
    name: str | None = None
    redirect_uris: list[str] | None = None
    post_logout_redirect_uris: list[str] | None = None
    grant_types: list[str] | None = None
    scopes: list[str] | None = None
    auth_method: str | None = None
    first_party: bool | None = None
    web_origins: list[str] | None = None
    id_token_signing_alg: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    refresh_token_rotation: bool | None = None
    # An empty string clears a logout URI.
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool | None = None
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool | None = None
    require_mfa: bool | None = None
    # RFC 9126 §6, RFC 9101 §10.5 (admin/client_requests.py); "" clears the algorithm.
    require_pushed_authorization_requests: bool | None = None
    request_object_signing_alg: str | None = None
    response_types: list[str] | None = None
    require_dpop: bool | None = None
    # The groups claim (docs/groups-and-roles.md): "ids", "names", or "none" (off).
    groups_claim: str | None = None
    token_profile: str | None = None  # tokens/entra.py CLIENT_PROFILES
    multi_tenant: bool | None = None  # docs/multi-tenant-apps.md
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Merge:
    """A spec over the client it changes (None when registering a new one)."""

    spec: ClientSpec
    existing: Client | None

    def pick(self, new: T | None, attribute: str, default: T) -> T:
        """The spec's value; else, on update, the existing client's ``attribute``; else
        ``default``."""
        if new is not None:
            return new
        if self.existing is None:
            return default
        return cast(T, getattr(self.existing, attribute))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def validated_client(
    runtime: Runtime, spec: ClientSpec, existing: Client | None, now: int
) -> Client:
    """The client ``spec`` asks for, merged over ``existing`` (or the defaults) and checked
    rule by rule; ``updated_at`` is ``now``."""
    _check_client_id(spec.client_id)
    merge = _Merge(spec, existing)
    client_type = _client_type(merge)
    grant_types = _grant_types(merge, client_type)
    auth_method = _auth_method(merge, client_type, grant_types)
    response_types = _response_types(merge, client_type, grant_types)
    redirect_uris = _redirect_uris(merge, grant_types)
    logout_uris = _logout_uris(merge)
    scopes = _allowed_scopes(runtime, merge, redirect_uris, grant_types)
    web_origins = _web_origins(merge)
    request_alg = client_requests.request_object_alg(
        merge.pick(spec.request_object_signing_alg, "request_object_signing_alg", None),
        auth_method,
    )
    jwks, jwks_uri = client_keys(
        (spec.jwks, spec.jwks_uri),
        existing,
        auth_method,
        client_requests.signs_with_public_keys(request_alg),
    )
    client_requests.check_request_keys(request_alg, jwks, jwks_uri)
    rotation = _refresh_rotation(merge, client_type, grant_types)
    alg = _id_token_alg(merge)
    backchannel = _notification_uri(merge, "backchannel_logout_uri")
    frontchannel = _notification_uri(merge, "frontchannel_logout_uri")
    name = merge.pick(spec.name, "name", spec.client_id) or spec.client_id
    return Client(
        client_id=spec.client_id,
        name=name[:255],
        client_type=client_type,
        auth_method=auth_method,
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=logout_uris,
        allowed_scopes=scopes,
        web_origins=web_origins,
        first_party=bool(merge.pick(spec.first_party, "first_party", False)),
        id_token_signing_alg=alg,
        created_at=existing.created_at if existing is not None else now,
        updated_at=now,
        jwks=jwks,
        jwks_uri=jwks_uri,
        refresh_token_rotation=rotation,
        backchannel_logout_uri=backchannel,
        backchannel_logout_session_required=bool(
            merge.pick(
                spec.backchannel_logout_session_required,
                "backchannel_logout_session_required",
                True,
            )
        ),
        frontchannel_logout_uri=frontchannel,
        frontchannel_logout_session_required=bool(
            merge.pick(
                spec.frontchannel_logout_session_required,
                "frontchannel_logout_session_required",
                True,
            )
        ),
        require_pushed_authorization_requests=client_requests.require_par(
            merge.pick(
                spec.require_pushed_authorization_requests,
                "require_pushed_authorization_requests",
                False,
            ),
            grant_types,
        ),
        request_object_signing_alg=request_alg,
        response_types=response_types,
        require_mfa=_switch(merge, merge.spec.require_mfa, "require_mfa"),
        require_dpop=_switch(merge, merge.spec.require_dpop, "require_dpop"),
        multi_tenant=_switch(merge, merge.spec.multi_tenant, "multi_tenant"),
        groups_claim=_groups_claim(merge),
        token_profile=checked_profile(
            merge.pick(spec.token_profile, "token_profile", CLIENT_PROFILES[0]), CLIENT_PROFILES
        ),
    )


def _check_client_id(client_id: str) -> None:
    if not _CLIENT_ID.fullmatch(client_id):
        raise AdminError("client_id must be 1-255 characters of letters, digits and . _ : ~ @ -")


def _client_type(merge: _Merge) -> ClientType:
    value = merge.pick(merge.spec.client_type, "client_type", "confidential")
    if value == "public":
        return "public"
    if value == "confidential":
        return "confidential"
    raise AdminError("type must be confidential or public")


def _auth_method(
    merge: _Merge, client_type: ClientType, grant_types: tuple[str, ...]
) -> AuthMethod:
    """A public client cannot keep a secret; a confidential one must authenticate, unless
    the JWT bearer grant is all it uses: then its workload's assertion, from an issuer
    trusted for it, is its credential (protocol/grants/jwt_bearer.py), and no secret is
    stored by default."""
    spec = merge.spec
    workload = grant_types == (JWT_BEARER,)
    default = "none" if client_type == "public" or workload else "client_secret_basic"
    if spec.client_type is not None and spec.auth_method is None and merge.existing is not None:
        method = default  # changing the type resets the method to its default
    else:
        method = merge.pick(spec.auth_method, "auth_method", default)
    if method not in SUPPORTED_METHODS:
        raise AdminError(f"auth_method must be one of {', '.join(SUPPORTED_METHODS)}")
    if client_type == "public" and method != "none":
        raise AdminError(
            "a public client (single-page app, native or mobile app, CLI) cannot keep a secret: "
            "it uses auth_method none and PKCE. Make it a confidential client if it runs on a "
            "server"
        )
    if client_type == "confidential" and method == "none" and not workload:
        raise AdminError(
            "a confidential client must authenticate: use client_secret_basic, client_secret_post, "
            "private_key_jwt or client_secret_jwt (auth_method none is only for a workload "
            f"whose one grant type is {JWT_BEARER})"
        )
    if client_type == "public" and spec.secret is not None:
        raise AdminError(
            "a public client has no secret: anything shipped to a browser or device can be read"
        )
    return cast(AuthMethod, method)


def _grant_types(merge: _Merge, client_type: ClientType) -> tuple[str, ...]:
    default = ["authorization_code", "refresh_token"]
    requested = merge.pick(merge.spec.grant_types, "grant_types", default)
    return checked_grant_types(requested, client_type)


def _response_types(
    merge: _Merge, client_type: ClientType, grant_types: tuple[str, ...]
) -> tuple[str, ...]:
    kept = merge.existing.response_types if merge.existing is not None else None
    return checked_response_types(merge.spec.response_types, kept, client_type, grant_types)


def _redirect_uris(merge: _Merge, grant_types: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 9700 §2.1: exact, registrable redirect URIs; the code flow needs one."""
    uris = _unique(merge.pick(merge.spec.redirect_uris, "redirect_uris", []))
    for uri in uris:
        problem = check_registrable(uri)
        if problem:
            raise AdminError(f"redirect URI {uri!r}: {problem}")
    if any(g in REDIRECTING_GRANTS for g in grant_types) and not uris:
        raise AdminError(
            "a redirect URI is required: the authorization code flow sends the browser back to it"
        )
    return uris


def _logout_uris(merge: _Merge) -> tuple[str, ...]:
    spec = merge.spec
    uris = _unique(merge.pick(spec.post_logout_redirect_uris, "post_logout_redirect_uris", []))
    for uri in uris:
        problem = check_registrable(uri)
        if problem:
            raise AdminError(f"post-logout redirect URI {uri!r}: {problem}")
    return uris


def _notification_uri(merge: _Merge, name: str) -> str | None:
    """Where the client is told of a sign-out: an absolute http(s) URL without a fragment
    (Back-Channel Logout 1.0 §2.2, Front-Channel Logout 1.0 §2), https unless on a loopback
    address, as for redirect URIs. An empty value clears it."""
    uri: str | None = merge.pick(getattr(merge.spec, name), name, None)
    if not uri:
        return None
    problem = server_url_problem(uri)
    if problem:
        raise AdminError(f"{name} {uri[:200]!r}: {problem}")
    return uri


def _allowed_scopes(
    runtime: Runtime, merge: _Merge, redirect_uris: tuple[str, ...], grant_types: tuple[str, ...]
) -> tuple[str, ...]:
    signs_in = redirect_uris or DEVICE_CODE_GRANT in grant_types
    default = ["openid", "profile", "email"] if signs_in else []
    return _known_scopes(runtime, _unique(merge.pick(merge.spec.scopes, "allowed_scopes", default)))


def _known_scopes(runtime: Runtime, scopes: tuple[str, ...]) -> tuple[str, ...]:
    """Standard, custom, or API scopes; API scopes are stored as <api>/<name>."""
    custom = runtime.store.scopes.get_many([s for s in scopes if s not in STANDARD_SCOPES])
    try:
        return tuple(registrable(list(scopes), runtime.store.apis.list(), custom))
    except InvalidScope as exc:
        raise AdminError(exc.description) from None


def _web_origins(merge: _Merge) -> tuple[str, ...]:
    """CORS origins of browser-based clients: scheme, host and port only."""
    origins = _unique(merge.pick(merge.spec.web_origins, "web_origins", []))
    for origin in origins:
        if origin_of(origin) != origin.lower().rstrip("/") or origin.count("/") != 2:
            raise AdminError(f"web origin {origin!r} must look like https://app.example.com[:port]")
    return tuple(o.lower().rstrip("/") for o in origins)


def _refresh_rotation(merge: _Merge, client_type: ClientType, grant_types: tuple[str, ...]) -> bool:
    rotation = bool(merge.pick(merge.spec.refresh_token_rotation, "refresh_token_rotation", True))
    if client_type == "public" and not rotation and "refresh_token" in grant_types:
        # RFC 9700 §4.14.2: a public client's refresh tokens are sender-constrained or rotated.
        raise AdminError(
            "a public client's refresh tokens must rotate: without a secret, rotation is what "
            "detects a stolen token (keep refresh_token_rotation on)"
        )
    return rotation


def _switch(merge: _Merge, new: bool | None, attribute: str) -> bool:
    """An on/off switch that is off unless asked for (require_mfa, require_dpop)."""
    value = merge.pick(new, attribute, False)
    if not isinstance(value, bool):
        raise AdminError(f"{attribute} must be true or false")
    return value


def _groups_claim(merge: _Merge) -> GroupsClaim | None:
    value = merge.spec.groups_claim
    if value is None:
        return merge.existing.groups_claim if merge.existing is not None else None
    if value not in ("ids", "names", "none"):
        raise AdminError("groups_claim must be ids, names or none")
    return None if value == "none" else cast(GroupsClaim, value)


def _id_token_alg(merge: _Merge) -> str | None:
    alg = merge.pick(merge.spec.id_token_signing_alg, "id_token_signing_alg", None)
    if alg is not None and alg not in SIGNING_ALGS:
        raise AdminError(f"id_token_signing_alg must be {' or '.join(SIGNING_ALGS)}")
    return alg
