"""Which local account an upstream subject is (docs/federation.md, "Accounts"):

1. the account its (alias, subject) is linked to, if any;
2. else, when a local account has the same email address: a link only after the person
   proves that account in this same sign-in (``LINK``), and only when the upstream says the
   address is verified. Never automatically: whoever controls an upstream account (or an
   upstream that does not check addresses) would otherwise take over the local one;
3. else, with just-in-time creation on, a new account from the claim mappings (email
   verified only when the upstream says ``email_verified`` is true), under the mapped
   username or, when that is taken or unusable, a derived one;
4. else no sign-in: an administrator must create or link the account.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from gatehouse.accounts.identifiers import (
    email_problem,
    has_hostile_characters,
    name_problem,
    username_problem,
)
from gatehouse.crypto import sha256_digest
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.provider import Provider
from gatehouse.storage.errors import AlreadyExists
from gatehouse.storage.federation import FederatedIdentity, UpstreamProvider
from gatehouse.storage.records import AuditEvent, User

# Local field -> the upstream claim that fills it, unless an operator maps another
# (OIDC Core §5.1 standard claims).
DEFAULT_MAPPINGS: Final[dict[str, str]] = {
    "username": "preferred_username",
    "email": "email",
    "email_verified": "email_verified",
    "name": "name",
    "given_name": "given_name",
    "family_name": "family_name",
}
MAPPABLE: Final = frozenset(DEFAULT_MAPPINGS)


@dataclass(frozen=True)
class LocalAccount:
    """``how``: "linked" (signed in before), "created" (just now), or "link" (an existing
    account the person must prove before the link is made)."""

    user: User
    how: Literal["linked", "created", "link"]


def local_account(
    provider: Provider, upstream: UpstreamProvider, claims: Mapping[str, Any], now: int
) -> LocalAccount:
    alias, subject = upstream.alias, str(claims["sub"])
    linked = provider.federation.identity(alias, subject)
    if linked is not None:
        user = provider.users.get(linked.user_id)
        if user is None or user.disabled:
            raise FederationFailed("account", "the account linked to it is disabled", alias=alias)
        provider.federation.touch(alias, subject, now)
        return LocalAccount(user, "linked")
    mapped = mapped_claims(upstream, claims)
    email = mapped.get("email")
    same_email = provider.users.find_by_login(email) if isinstance(email, str) else None
    if same_email is not None and (same_email.email or "").casefold() == str(email).casefold():
        if mapped.get("email_verified") is not True:
            raise FederationFailed(
                "account",
                f"an account with the email address of your {upstream.display_name} account "
                "exists here, but the upstream does not say the address is verified, so the "
                "two cannot be linked; sign in with your password instead",
                alias=alias,
            )
        return LocalAccount(same_email, "link")
    if not upstream.jit:
        raise FederationFailed(
            "account",
            f"no account here is linked to your {upstream.display_name} account, and "
            "accounts are not created on first sign-in; ask an administrator",
            alias=alias,
        )
    return LocalAccount(_created(provider, upstream, subject, mapped, now), "created")


def mapped_claims(upstream: UpstreamProvider, claims: Mapping[str, Any]) -> dict[str, Any]:
    """The local fields the upstream's claims fill, each checked as the operator's commands
    check them; a value that would not pass is left out rather than refused."""
    mappings = {**DEFAULT_MAPPINGS, **upstream.claim_mappings}
    found: dict[str, Any] = {}
    for field, claim in mappings.items():
        value = claims.get(claim)
        if field == "email_verified":
            found[field] = value is True
        elif isinstance(value, str) and value and not _unusable(field, value):
            found[field] = value
    return found


def _unusable(field: str, value: str) -> bool:
    if field == "username":
        return username_problem(value) is not None
    if field == "email":
        return email_problem(value) is not None
    return name_problem(value) is not None or has_hostile_characters(value)


def _created(
    provider: Provider,
    upstream: UpstreamProvider,
    subject: str,
    mapped: Mapping[str, Any],
    now: int,
) -> User:
    """A new account, linked, with its audit event, in one transaction."""
    email = mapped.get("email")
    user = User(
        id=str(uuid.uuid4()),
        username=_free_username(provider, upstream.alias, subject, mapped),
        email=email,
        email_verified=email is not None and mapped["email_verified"],
        name=mapped.get("name"),
        given_name=mapped.get("given_name"),
        family_name=mapped.get("family_name"),
        phone_number=None,
        phone_number_verified=False,
        address=None,
        disabled=False,
        password_hash=None,  # signs in through the upstream only, until a password is set
        password_changed_at=None,
        created_at=now,
        updated_at=now,
    )
    identity = FederatedIdentity(upstream.alias, subject, user.id, now, now)
    try:
        with provider.transaction():
            provider.users.insert(user)
            if not provider.federation.link(identity):
                raise AlreadyExists("the upstream identity was linked meanwhile")
            provider.audit.record(
                AuditEvent(
                    type="federation.user_created",
                    occurred_at=now,
                    actor="user",
                    user_id=user.id,
                    details={"upstream": upstream.alias},
                )
            )
    except AlreadyExists:
        raise FederationFailed(
            "account",
            "the account could not be created: its username or email address was taken at "
            "the same moment; try again",
            alias=upstream.alias,
        ) from None
    return user


def _free_username(provider: Provider, alias: str, subject: str, mapped: Mapping[str, Any]) -> str:
    """The mapped username; else the email's local part; else ALIAS-SUBJECT. When taken by
    another account, the same with ``.ALIAS``, then with a piece of the subject's hash: a
    person never fails to sign in because of someone else's name."""
    email = mapped.get("email")
    local_part = email.partition("@")[0] if isinstance(email, str) else None
    base = mapped.get("username") or local_part or f"{alias}-{subject}"[:64]
    if username_problem(base) is not None:
        base = f"{alias}-{sha256_digest(subject)[:16]}"
    tag = sha256_digest(subject)[:8]
    for candidate in (base, f"{base}.{alias}", f"{base}.{alias}.{tag}"):
        if provider.users.find_by_login(candidate) is None:
            return candidate
    return f"{alias}.{sha256_digest(subject)[:24]}"
