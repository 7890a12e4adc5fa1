"""Admin consent: an administrator consents to a client's delegated scopes for every person of
the tenant (`gatehouse consent grant-admin`, `revoke-admin`, `list-admin`, and `apply`'s
``admin_consents``). The consent page then asks a person only about scopes beyond it
(protocol/admin_consent.py, protocol/decision.py).

Withdrawing it is strict: besides the next sign-in asking again, every grant (refresh token
family, or code not yet redeemed) of the client that carries a withdrawn scope the person
never consented to themselves is revoked at once, with the access tokens issued from it.
Entra ID lets such refresh tokens run until their scopes are next evaluated; gatehouse does
not leave a withdrawn permission in use for the lifetime of a refresh token.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.admin.multi_tenant import foreign_client
from gatehouse.errors import OAuthError
from gatehouse.protocol.admin_consent import consented_scopes
from gatehouse.protocol.audiences import default_target, split_canonical
from gatehouse.protocol.scopes import resolve_requested
from gatehouse.runtime import Runtime
from gatehouse.storage.admin_consents import AdminConsent
from gatehouse.storage.records import Api, Client

REVOKED_REASON = "admin_consent_revoked"


def admin_consent_to_json(consent: AdminConsent) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "client_id": consent.client_id,
        "scopes": sorted(consent.scopes),
        "granted_at": consent.granted_at,
        "updated_at": consent.updated_at,
    }
    if consent.home_tenant is not None:  # the application's presence (admin/multi_tenant.py)
        shown["home_tenant"] = consent.home_tenant
    return shown


def _client(runtime: Runtime, client_id: str) -> tuple[Client, str | None]:
    """The client and, for another tenant's multi-tenant client, its home tenant."""
    client = runtime.store.clients.get(client_id)
    if client is not None:
        return client, None
    foreign = foreign_client(runtime, client_id)
    if foreign is None:
        raise AdminError(
            f"no client {client_id!r} in tenant {runtime.store.tenant_id!r}, nor a "
            "multi-tenant application of that id in another tenant"
        )
    return foreign[1], foreign[0]


def consentable_scopes(runtime: Runtime, client: Client, scopes: Sequence[str]) -> frozenset[str]:
    """``scopes`` as the client would request them (bare names, ``<api>/<name>``,
    ``<api>/.default``: protocol/scopes.py), each one it is registered for; none given:
    every scope of its registration."""
    requested = list(scopes) or list(client.allowed_scopes)
    if not requested:
        raise AdminError(f"client {client.client_id!r} is registered for no scopes")
    try:
        resolved = resolve_requested(requested, client.allowed_scopes, runtime.store.apis.list())
    except OAuthError as exc:
        raise AdminError(exc.description) from None
    return frozenset(resolved)


def grant_admin_consent(
    runtime: Runtime, client_id: str, scopes: Sequence[str] = (), home_tenant: str | None = None
) -> dict[str, Any]:
    """Consent to ``scopes`` of the client (none: all it is registered for) for everyone,
    added to what an administrator consented to before; ``changed`` says whether anything
    was written. For another tenant's multi-tenant client (whose home ``home_tenant``, if
    given, must name) the consent is also the application's presence in this tenant: its
    scopes are resolved against this tenant's APIs."""
    client, home = _client(runtime, client_id)
    if home_tenant is not None and home_tenant != (home or runtime.store.tenant_id):
        raise AdminError(
            f"client {client_id!r} is not the multi-tenant application of tenant "
            f"{home_tenant!r}" + (f" (its home is {home!r})" if home else "")
        )
    adding = consentable_scopes(runtime, client, scopes)
    now = int(time.time())
    with runtime.database.atomic():
        existing = runtime.store.admin_consents.get(client_id)
        before = existing.scopes if existing is not None else frozenset()
        added = adding - before
        consent = existing or AdminConsent(client_id, frozenset(), now, now, home)
        if added or existing is None:
            consent = AdminConsent(client_id, before | adding, consent.granted_at, now, home)
            runtime.store.admin_consents.save(consent)
            record_admin_change(
                runtime,
                "admin.consent.granted",
                client_id=client_id,
                details={"scopes": sorted(added), **({"home_tenant": home} if home else {})},
            )
    return {**admin_consent_to_json(consent), "changed": bool(added) or existing is None}


def _named(stored: frozenset[str], names: Sequence[str], runtime: Runtime) -> frozenset[str]:
    """The stored scopes ``names`` name: as stored, by an API scope's bare name, or all of
    one API's by ``<api>/.default``."""
    apis = runtime.store.apis.list()
    found: set[str] = set()
    for name in names:
        target = default_target(name)
        matches = {
            s
            for s in stored
            if s == name
            or _bare(s, apis) == name
            or (target is not None and s.startswith(target + "/"))
        }
        if not matches or (len(matches) > 1 and target is None):
            held = " ".join(sorted(stored))
            why = "names several of its scopes" if matches else "is not one of its scopes"
            raise AdminError(f"{name!r} {why}; the admin consent holds: {held}")
        found |= matches
    return frozenset(found)


def _bare(scope: str, apis: Sequence[Api]) -> str | None:
    split = split_canonical(scope, apis)
    return split[1] if split is not None else None


def revoke_admin_consent(
    runtime: Runtime, client_id: str, scopes: Sequence[str] = ()
) -> dict[str, Any]:
    """Withdraw the admin consent to ``scopes`` (none: all of it). People who relied on it
    are asked again at their next sign-in, and the client's grants that carry a withdrawn
    scope the person never consented to themselves are revoked now."""
    client, _home = _client(runtime, client_id)
    now = int(time.time())
    with runtime.database.atomic():
        existing = runtime.store.admin_consents.get(client_id)
        if existing is None:
            raise AdminError(f"client {client_id!r} has no admin consent")
        removed = _named(existing.scopes, scopes, runtime) if scopes else existing.scopes
        remaining = existing.scopes - removed
        # A presence stays when its scopes go: `consent remove-presence` removes it.
        if remaining or existing.home_tenant is not None:
            kept = AdminConsent(
                client_id, remaining, existing.granted_at, now, existing.home_tenant
            )
            runtime.store.admin_consents.save(kept)
        else:
            runtime.store.admin_consents.delete(client_id)
        revoked = 0 if client.first_party else _revoke_grants_relying_on(runtime, client, removed)
        record_admin_change(
            runtime,
            "admin.consent.revoked",
            client_id=client_id,
            details={"scopes": sorted(removed), "grants_revoked": revoked},
        )
    return {
        "client_id": client_id,
        "revoked": sorted(removed),
        "scopes": sorted(remaining),
        "grants_revoked": revoked,
    }


def _revoke_grants_relying_on(runtime: Runtime, client: Client, removed: frozenset[str]) -> int:
    """Revoke each live grant of the client holding a scope of ``removed`` that the person
    has not consented to themselves (nor does what remains of the admin consent cover);
    how many. Called inside the transaction that withdrew it, so it sees what remains."""
    now, revoked = int(time.time()), 0
    provider = runtime.provider
    for grant in runtime.store.admin_consents.live_grants(client.client_id, now):
        relied = grant.scopes & removed
        if relied and relied - consented_scopes(provider, grant.user_id, client.client_id):
            runtime.store.revocations.revoke_grant(grant.grant_id, REVOKED_REASON, now)
            revoked += 1
    return revoked


def list_admin_consents(runtime: Runtime, client_id: str | None = None) -> list[dict[str, Any]]:
    if client_id is not None:
        consent = runtime.store.admin_consents.get(client_id)
        return [admin_consent_to_json(consent)] if consent is not None else []
    return [admin_consent_to_json(c) for c in runtime.store.admin_consents.list()]
