"""What the account page shows the signed-in person: their profile, their sessions, the
applications they let in, and the offline access those applications hold."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.protocol.account.client import is_builtin
from gatehouse.protocol.account.signin import signed_in_recently
from gatehouse.protocol.interaction import describe_scopes
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import SsoSession, User


@dataclass(frozen=True)
class SessionView:
    """One live SSO session of the person: a browser they are signed in with."""

    sid: str
    signed_in_at: int  # auth_time: the last real authentication
    started_at: int
    last_seen_at: int
    methods: tuple[str, ...]  # amr
    current: bool


@dataclass(frozen=True)
class ApplicationAccess:
    """An application the person consented to, with the scopes described as the consent
    page describes them: (label, description)."""

    client_id: str
    name: str
    scopes: list[tuple[str, str]]
    granted_at: int


@dataclass(frozen=True)
class OfflineAccess:
    """The offline refresh tokens (offline_access: they outlive every session) that one
    application holds for the person."""

    client_id: str
    name: str
    grants: int
    first_issued_at: int
    last_used_at: int


@dataclass(frozen=True)
class AccountOverview:
    user: User
    session: SsoSession
    sessions: list[SessionView]
    applications: list[ApplicationAccess]
    offline: list[OfflineAccess]
    signed_in_recently: bool


def account_overview(provider: Provider, user: User, session: SsoSession) -> AccountOverview:
    now, config = provider.clock(), provider.config
    sessions = [
        SessionView(
            sid=s.sid,
            signed_in_at=s.auth_time,
            started_at=s.created_at,
            last_seen_at=s.last_seen_at,
            methods=s.amr,
            current=s.sid == session.sid,
        )
        for s in provider.sessions.list_for_user(user.id, now, config.session_idle_lifetime)
    ]
    return AccountOverview(
        user=user,
        session=session,
        sessions=sessions,
        applications=_applications(provider, user),
        offline=_offline(provider, user),
        signed_in_recently=signed_in_recently(provider, session),
    )


def _client_name(provider: Provider, client_id: str) -> str:
    client = provider.clients.get(client_id)
    return client.name if client is not None else client_id


def _applications(provider: Provider, user: User) -> list[ApplicationAccess]:
    return [
        ApplicationAccess(
            client_id=c.client_id,
            name=_client_name(provider, c.client_id),
            scopes=describe_scopes(provider, tuple(sorted(c.scopes))),
            granted_at=c.granted_at,
        )
        for c in provider.consents.list_for_user(user.id)
        if not is_builtin(c.client_id)
    ]


def _offline(provider: Provider, user: User) -> list[OfflineAccess]:
    """Grouped by application. A refresh token's idle expiry is set to its use plus the idle
    lifetime each time it is used (with or without rotation): that gives its last use."""
    idle = provider.config.refresh_token_idle_lifetime
    by_client: dict[str, OfflineAccess] = {}
    for held in provider.refresh_tokens.offline_for_user(user.id, provider.clock()):
        token = held.token
        last_used = max(token.created_at, token.idle_expires_at - idle)
        seen = by_client.get(token.client_id)
        by_client[token.client_id] = OfflineAccess(
            client_id=token.client_id,
            name=seen.name if seen else _client_name(provider, token.client_id),
            grants=(seen.grants if seen else 0) + 1,
            first_issued_at=min(
                held.first_issued_at, seen.first_issued_at if seen else held.first_issued_at
            ),
            last_used_at=max(last_used, seen.last_used_at if seen else last_used),
        )
    return list(by_client.values())
