"""Withdrawing a consent: what an operator (`gatehouse consent revoke`) and the person (the
account page) both do, in one place."""

from __future__ import annotations

from gatehouse.storage.repositories import ConsentRepository, RefreshTokenRepository


def withdraw_consent(
    consents: ConsentRepository,
    refresh_tokens: RefreshTokenRepository,
    user_id: str,
    client_id: str,
    now: int,
) -> int | None:
    """Delete the consent, so that the next sign-in to the client asks again, and revoke
    every grant of the user for the client at once: its refresh tokens fail at the token
    endpoint from now on and the access tokens issued from them are on the deny-list.
    How many refresh tokens were revoked; None when there was no consent."""
    if not consents.revoke(user_id, client_id):
        return None
    return refresh_tokens.revoke_for(user_id, client_id, now)
