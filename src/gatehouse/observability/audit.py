"""The audit log's vocabulary: every event type gatehouse records, with what it means.

Events are rows in the database (storage: ``AuditRepository``), written in the same
transaction as the change they record, listed by ``gatehouse audit list`` and deleted by the
purge after ``audit_retention``. This table is their documentation (docs/audit.md lists it),
and ``AuditEvent`` refuses a type that is not in it, so the vocabulary cannot drift.

What an event never holds: a password, a secret, a token, a code, or anything from which
one could be rebuilt. ``details`` carries names and reasons only.
"""

from __future__ import annotations

from typing import Final, Literal

#: Who caused the event: the person (``user``), an operator through the CLI (``operator``),
#: a client application (``client``), or gatehouse itself (``system``, e.g. an expiry).
Actor = Literal["user", "operator", "client", "system"]

EVENT_TYPES: Final[dict[str, str]] = {
    # Sign-in
    "signin.succeeded": "A person signed in (details: methods used, remember-me).",
    "signin.failed": "A sign-in was refused (details: reason; username holds the login tried).",
    "signin.locked": "An account was locked after repeated failed sign-ins (details: scope "
    "of the lock: this source address, the account, or the address across accounts).",
    "signin.unlocked": "An operator cleared an account's lockout (`gatehouse user unlock`).",
    # Consent
    "consent.granted": "A person consented to a client's scopes (details: scopes).",
    "consent.revoked": "A consent was withdrawn, by the person or an operator; the client's "
    "refresh tokens for that person ended with it.",
    # Sessions and tokens
    "session.ended": "An SSO session ended (details: how: sign-out, operator, password "
    "change, disabled account).",
    "token.revoked": "A token was revoked (details: token type, how).",
    # Self-service accounts (docs/self-service.md)
    "account.registered": "A person created their own account at /register; its email "
    "address is not verified yet.",
    "email.verified": "A person confirmed their email address through an emailed link.",
    "password.reset_requested": "Someone asked for a password-reset link (username holds the "
    "address typed; user_id is set only when it is an account's, and only then is a link sent).",
    "password.reset": "A person set a new password through an emailed link; every session "
    "and refresh token of theirs ended.",
    # Administration (`gatehouse` commands and `apply`): details name the fields changed,
    # never their secret values.
    "admin.client.created": "An operator registered a client.",
    "admin.client.updated": "An operator changed a client's registration.",
    "admin.client.deleted": "An operator deleted a client.",
    "admin.client.secret_added": "An operator issued a new client secret.",
    "admin.client.secret_revoked": "An operator revoked a client secret.",
    "admin.user.created": "An operator created a user.",
    "admin.user.updated": "An operator changed a user (details: fields).",
    "admin.user.deleted": "An operator deleted a user.",
    "admin.api.created": "An operator registered an API.",
    "admin.api.updated": "An operator changed an API or its permissions.",
    "admin.api.deleted": "An operator deleted an API.",
    "admin.role.granted": "An operator granted an application permission (app role).",
    "admin.role.revoked": "An operator revoked an application permission (app role).",
    "admin.scope.created": "An operator defined a scope.",
    "admin.scope.deleted": "An operator deleted a scope.",
    "admin.key.rotated": "An operator rotated the signing keys.",
    "admin.policy.updated": "An operator changed the tenant's policy (details: keys).",
}


def is_event_type(name: str) -> bool:
    return name in EVENT_TYPES
