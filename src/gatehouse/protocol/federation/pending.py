"""What a federated sign-in leaves for the end of the sign-in that follows it, whatever
comes between (a second factor, or the password of an account to link): kept as a
one-time federation state keyed by the paused request, and finished by protocol/
sign_in_flow.py ``start_signed_in_session`` in the transaction that starts the session.

- a link: the upstream identity is tied to the local account only if the person who has
  just signed in is that account's owner (they proved it: a password, a passkey, and any
  second factor it needs). Anyone else signing in leaves it unlinked;
- the federated session: which upstream signed the session in, with its ID token, for the
  upstream's logout (logout.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.crypto import sha256_digest
from gatehouse.protocol.federation.sealed import seal, unseal
from gatehouse.protocol.provider import Provider
from gatehouse.storage.federation import FederatedIdentity, FederatedSession, FederationState
from gatehouse.storage.records import AuditEvent, User


@dataclass(frozen=True)
class Pending:
    """For the paused request: upstream ``alias`` said it is ``subject``, who is to be
    local account ``user_id``; ``link``: once they prove it, a new link is made."""

    alias: str
    subject: str
    user_id: str
    link: bool
    id_token: str


def _key(interaction_hash: str) -> str:
    return sha256_digest(f"federation pending:{interaction_hash}")


def leave_pending(
    provider: Provider, interaction_hash: str, pending: Pending, expires_at: int
) -> None:
    key, now = _key(interaction_hash), provider.clock()
    payload = seal(
        provider.federation_secrets,
        {"subject": pending.subject, "user_id": pending.user_id, "link": pending.link,
         "id_token": pending.id_token},
        bound_to=key,
    )  # fmt: skip
    state = FederationState(key, "pending", pending.alias, payload, None, now, expires_at)
    provider.federation.create_state(state)


def finish_pending(
    provider: Provider,
    interaction_hash: str,
    user: User,
    session_cookie: str,
    client_id: str,
) -> None:
    """Inside the sign-in's transaction: the link and the federated session, if a federated
    sign-in left them for ``user``. One conditional UPDATE when it left none."""
    now = provider.clock()
    key = _key(interaction_hash)
    state = provider.federation.consume_state(key, "pending", now)
    if state is None:
        return
    value = unseal(provider.federation_secrets, state.payload, bound_to=key)
    if value is None or value.get("user_id") != user.id:
        return  # someone else proved their own account: no link for them
    alias, subject = state.alias, str(value["subject"])
    if value.get("link") and provider.federation.link(
        FederatedIdentity(alias, subject, user.id, now, now)
    ):
        provider.audit.record(
            AuditEvent(
                type="federation.linked",
                occurred_at=now,
                actor="user",
                user_id=user.id,
                client_id=client_id,
                details={"upstream": alias},
            )
        )
    session = provider.sessions.get_active(
        sha256_digest(session_cookie), now, provider.config.remember_me_idle_lifetime
    )
    if session is not None:
        sid = session.sid
        token = seal(provider.federation_secrets, {"id_token": value["id_token"]}, bound_to=sid)
        provider.federation.record_session(
            FederatedSession(sid, alias, token, now, session.expires_at)
        )
