"""The person's sessions: signing out one browser, or every browser but this one."""

from __future__ import annotations

from gatehouse.accounts.sessions import end_other_sessions, end_session_of_user
from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal
from gatehouse.protocol.account.signin import require_recent_sign_in
from gatehouse.protocol.provider import Provider


def end_session(provider: Provider, holder: AccountHolder, sid: str | None) -> bool:
    """Sign out the person's session ``sid``; True when it was this browser's own (the
    person signed out here). A sid that is not one of their live sessions changes nothing."""
    # sign_out records the session.ended event in its own transaction.
    if not sid or not end_session_of_user(provider.sessions, holder.user.id, sid, provider.clock()):
        raise AccountError(Refusal.NO_SUCH_SESSION, 404)
    return sid == holder.session.sid


def end_others(provider: Provider, holder: AccountHolder) -> int:
    """Sign out every other session of the person (a sensitive action: recent sign-in).
    Their refresh tokens end with them; offline tokens do not (the page lists those)."""
    require_recent_sign_in(provider, holder.session)
    # One session.ended event per session, recorded by sign_out with the sign-out.
    return end_other_sessions(
        provider.sessions, holder.user.id, holder.session.sid, provider.clock()
    )
