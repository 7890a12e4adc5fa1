"""What the protocol unit tests share: the real provider over a real database (SQLite and
PostgreSQL), a clock they set, a user, clients, and ways to put codes, sessions and tokens
in place without going through HTTP."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from gatehouse.crypto import base64url_sha256, random_token, sha256_digest
from gatehouse.protocol.issuance import UserGrant, issue_user_tokens, new_grant_id
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuthorizationCode, Client, SsoSession, User
from tests.support.factories import REDIRECT_URI, make_client, make_user
from tests.support.flow import FakeClock, install_clock


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    """The provider's clock, a little ahead of the real one: what the admin services store
    with the real time (a user's password_changed_at) is then already in the past."""
    clock = install_clock(runtime)
    clock.advance(5)
    return clock


@pytest.fixture
def provider(runtime: Runtime, clock: FakeClock) -> Provider:
    return runtime.provider


@pytest.fixture
def alice(runtime: Runtime) -> User:
    user = runtime.store.users.get(str(make_user(runtime, "alice")["id"]))
    assert user is not None
    return user


@dataclass(frozen=True)
class Registered:
    """A client as stored, with the secret it was registered with (None for public ones)."""

    client: Client
    secret: str | None

    @property
    def basic(self) -> str:
        raw = f"{self.client.client_id}:{self.secret}".encode()
        return f"Basic {base64.b64encode(raw).decode()}"


def register(runtime: Runtime, client_id: str = "web", **fields: Any) -> Registered:
    created = make_client(runtime, client_id, **fields)
    client = runtime.store.clients.get(client_id)
    assert client is not None
    return Registered(client, created.get("client_secret"))


@pytest.fixture
def web(runtime: Runtime) -> Registered:
    """A confidential web client: code and refresh grants, openid profile email
    offline_access."""
    return register(runtime, "web")


def params(**values: str) -> Parameters:
    return Parameters(values)


def start_sso(provider: Provider, user: User) -> str:
    """An SSO session for ``user``, as a sign-in starts one; its sid."""
    now = provider.clock()
    sid = uuid.uuid4().hex
    provider.sessions.create(
        sha256_digest(random_token()),
        SsoSession(
            sid=sid,
            user_id=user.id,
            auth_time=now,
            amr=("pwd",),
            acr=None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + provider.config.session_absolute_lifetime,
        ),
    )
    return sid


VERIFIER = "a-code-verifier-of-at-least-43-characters-0123456789"


def store_code(
    provider: Provider, client: Client, user: User, **fields: Any
) -> tuple[str, AuthorizationCode]:
    """An authorization code as the authorization endpoint stores it (PKCE S256 with
    VERIFIER); returns its value and record."""
    now = provider.clock()
    value = random_token()
    values: dict[str, Any] = {
        "code_hash": sha256_digest(value),
        "grant_id": new_grant_id(),
        "client_id": client.client_id,
        "user_id": user.id,
        "sid": None,
        "redirect_uri": REDIRECT_URI,
        "redirect_uri_given": True,
        "scopes": ("openid", "profile"),
        "nonce": "n-0",
        "code_challenge": base64url_sha256(VERIFIER),
        "auth_time": now,
        "amr": ("pwd",),
        "acr": None,
        "created_at": now,
        "expires_at": now + provider.config.authorization_code_lifetime,
    }
    values.update(fields)
    code = AuthorizationCode(**values)
    provider.codes.create(code)
    return value, code


def issue(
    provider: Provider,
    client: Client,
    user: User,
    scopes: tuple[str, ...] = ("openid", "profile", "offline_access"),
    *,
    sid: str | None = None,
    **grant: Any,
) -> TokenResponse:
    """Tokens from a user grant, as a code redemption issues them."""
    user_grant = UserGrant(
        client=client,
        user=user,
        scopes=scopes,
        grant_id=new_grant_id(),
        auth_time=provider.clock(),
        sid=sid,
        amr=("pwd",),
        acr=None,
        **grant,
    )
    return issue_user_tokens(provider, user_grant)
