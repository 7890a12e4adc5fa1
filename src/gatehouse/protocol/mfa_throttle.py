"""How many second-factor guesses a person's account may take: the one call the sign-in
makes, ``second_factor_allowed``, so that the brute-force protection of issue 12 (lockout)
can take its place without touching the callers.

Until then: at most ``LIMIT`` wrong answers per account in ``WINDOW`` seconds, counted from
the audit log's ``mfa.failed`` events (recorded with each wrong answer, in its
transaction), on top of the cap of wrong answers per sign-in (protocol/verification.py). A
six-digit code accepted within ±1 step leaves an attacker 3 chances in a million per guess.
"""

from __future__ import annotations

from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditQuery

LIMIT = 10
WINDOW = 15 * 60


def second_factor_allowed(provider: Provider, user_id: str, now: int) -> bool:
    """Whether ``user_id``'s account may be sent one more second-factor answer now."""
    recent = provider.audit.list(
        AuditQuery(user_id=user_id, types=("mfa.failed",), since=now - WINDOW, limit=LIMIT)
    )
    return len(recent) < LIMIT
