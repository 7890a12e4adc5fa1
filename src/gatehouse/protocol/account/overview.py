"""What the account page shows the signed-in person: their profile, their sessions, the
applications they let in (or their organisation let in for everyone: admin consent), and
the offline access those applications hold."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """An application the person, their organisation's administrator (admin consent,
    docs/admin-consent.md), or both allowed, each part's scopes described as the consent
    page describes them: (label, description). Only the person's own part is theirs to
    revoke; the administrator's holds for every person of the tenant."""

    client_id: str
    name: str
    scopes: list[tuple[str, str]]  # the person's own consent; [] without one
    granted_at: int | None  # when they gave it; None: they never consented themselves
    organisation_scopes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def revocable(self) -> bool:
        """Whether the person has a consent of their own to withdraw."""
        return self.granted_at is not None


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
    """The person's own consents, each with the admin consent to the same application, and
    the applications only the administrator allowed, by client id. An admin consent holds
    for every person of the tenant, whether they used the application yet or not: the page
    hides nothing that may act for the person. A presence without scopes (a multi-tenant
    application added by someone's own consent, protocol/multi_tenant.py) allows nothing by
    itself, and a client since deleted acts for nobody: neither is listed as allowed by the
    organisation."""
    organisation = {
        consent.client_id: describe_scopes(provider, tuple(sorted(consent.scopes)))
        for consent in provider.admin_consents.list()
        if consent.scopes
        and not is_builtin(consent.client_id)
        and provider.clients.get(consent.client_id) is not None
    }
    own = [
        ApplicationAccess(
            client_id=c.client_id,
            name=_client_name(provider, c.client_id),
            scopes=describe_scopes(provider, tuple(sorted(c.scopes))),
            granted_at=c.granted_at,
            organisation_scopes=organisation.pop(c.client_id, []),
        )
        for c in provider.consents.list_for_user(user.id)
        if not is_builtin(c.client_id)
    ]
    only_organisation = [
        ApplicationAccess(
            client_id=client_id,
            name=_client_name(provider, client_id),
            scopes=[],
            granted_at=None,
            organisation_scopes=scopes,
        )
        for client_id, scopes in organisation.items()
    ]
    return sorted(own + only_organisation, key=lambda access: access.client_id)


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
