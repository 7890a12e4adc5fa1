"""Which client may exchange the user tokens it receives for tokens for which API
(RFC 8693 on-behalf-of: `gatehouse grant token-exchange`), the same for the CLI and `apply`."""

from __future__ import annotations

import time
from typing import Any

from gatehouse.admin.apis import get_api
from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.protocol.grants.token_exchange import GRANT_TYPE
from gatehouse.runtime import Runtime
from gatehouse.storage.records import ExchangeGrant


def exchange_grant_to_json(grant: ExchangeGrant) -> dict[str, Any]:
    return {
        "client_id": grant.client_id,
        "api": grant.api_identifier,
        "impersonation": grant.impersonation,
    }


def grant_token_exchange(
    runtime: Runtime, client_id: str, identifier: str, *, impersonation: bool = False
) -> dict[str, Any]:
    """Allow the exchange (idempotent); ``impersonation``: its tokens carry no ``act``.
    ``changed`` says whether anything was written."""
    client = runtime.store.clients.get(client_id)
    if client is None:
        raise AdminError(f"no client {client_id!r}")
    if client.is_public:
        raise AdminError(
            "token exchange is for the confidential client an API authenticates as; this "
            "client is public"
        )
    if GRANT_TYPE not in client.grant_types:
        raise AdminError(
            f"client {client_id!r} may not use the token exchange grant; add "
            f"--grant-type {GRANT_TYPE} to its grant types first"
        )
    get_api(runtime, identifier)
    grant = ExchangeGrant(client_id, identifier, impersonation)
    with runtime.database.atomic():
        changed = runtime.store.apis.grant_exchange(grant, int(time.time()))
        if changed:
            record_admin_change(
                runtime,
                "admin.token_exchange.granted",
                client_id=client_id,
                details={"api": identifier, "impersonation": impersonation},
            )
    return {**exchange_grant_to_json(grant), "granted": True, "changed": changed}


def revoke_token_exchange(runtime: Runtime, client_id: str, identifier: str) -> dict[str, Any]:
    with runtime.database.atomic():
        if not runtime.store.apis.revoke_exchange(client_id, identifier):
            raise AdminError(f"client {client_id!r} may not exchange tokens for {identifier}")
        record_admin_change(
            runtime,
            "admin.token_exchange.revoked",
            client_id=client_id,
            details={"api": identifier},
        )
    return {"client_id": client_id, "api": identifier, "granted": False}


def list_token_exchange_grants(runtime: Runtime, client_id: str | None) -> list[dict[str, Any]]:
    return [exchange_grant_to_json(g) for g in runtime.store.apis.exchange_grants(client_id)]
