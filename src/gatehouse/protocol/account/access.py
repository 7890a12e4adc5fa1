"""What applications hold for the person: their consents and offline tokens, revoked at
once."""

from __future__ import annotations

from gatehouse.accounts.consents import withdraw_consent
from gatehouse.protocol.account.client import is_builtin
from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal, record
from gatehouse.protocol.admin_consent import admin_granted
from gatehouse.protocol.provider import Provider


def revoke_application(provider: Provider, holder: AccountHolder, client_id: str | None) -> int:
    """Withdraw the person's consent to the application: its refresh tokens for them fail at
    the token endpoint at once and its access tokens go on the deny-list; its next sign-in
    asks for consent again (about what an admin consent leaves out). How many refresh
    tokens ended. An admin consent to the application stays: it is the organisation's, for
    every person, and only an administrator withdraws it (docs/admin-consent.md)."""
    now = provider.clock()
    with provider.transaction():
        revoked = (
            withdraw_consent(
                provider.consents, provider.refresh_tokens, holder.user.id, client_id, now
            )
            if client_id and not is_builtin(client_id)
            else None
        )
        if revoked is None and client_id and admin_granted(provider, client_id):
            raise AccountError(Refusal.ORGANISATION_CONSENT, 403)
        if revoked is None:
            raise AccountError(Refusal.NO_APPLICATION_ACCESS, 404)
        record(
            provider,
            holder,
            "consent.revoked",
            client_id=client_id,
            details={"refresh_tokens_revoked": revoked},
        )
    return revoked


def revoke_offline(provider: Provider, holder: AccountHolder, client_id: str | None) -> int:
    """Revoke the application's offline tokens for the person (each grant, with the access
    tokens issued from it). How many grants ended."""
    now = provider.clock()
    with provider.transaction():
        grants = {
            held.token.grant_id
            for held in provider.refresh_tokens.offline_for_user(holder.user.id, now)
            if held.token.client_id == client_id
        }
        if not grants:
            raise AccountError(Refusal.NO_OFFLINE_ACCESS, 404)
        for grant_id in sorted(grants):
            provider.revocations.revoke_grant(grant_id, "revoked_by_user", now)
        record(
            provider,
            holder,
            "token.revoked",
            client_id=client_id,
            details={
                "token_type": "refresh_token",
                "how": "account_page_offline",
                "grants": len(grants),
            },
        )
    return len(grants)
