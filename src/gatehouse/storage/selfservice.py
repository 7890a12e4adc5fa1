"""Storage contracts of self-service accounts (accounts/selfservice/): the single-use links
sent by email, the outgoing mail queue, and the log of email requests their limits count.
The same rules as storage/repositories.py: the docstring is the contract, times are Unix
seconds, ``now`` is the caller's clock, and every method may raise ``DatabaseUnavailable``.
"""

from __future__ import annotations

import builtins
from typing import Protocol

from gatehouse.storage.records import EmailToken, EmailTokenPurpose, OutgoingMail


class EmailTokenRepository(Protocol):
    def create(self, token: EmailToken) -> None: ...

    def get(self, token_hash: str, purpose: EmailTokenPurpose) -> EmailToken | None:
        """The token with that hash and purpose, used or not, expired or not."""
        ...

    def consume(self, token_hash: str, purpose: EmailTokenPurpose, now: int) -> EmailToken | None:
        """Mark the token used and return it, only the first time and only before it
        expires: one conditional UPDATE, so of two concurrent uses exactly one wins."""
        ...

    def retire(self, user_id: str, purpose: EmailTokenPurpose, now: int) -> int:
        """Mark every unused token of that user and purpose used (a newer link, or the
        purpose achieved another way, makes older links worthless); how many."""
        ...


class OutboxRepository(Protocol):
    def enqueue(self, mail: OutgoingMail) -> None: ...

    def claim_due(self, now: int, lease_seconds: int, limit: int) -> builtins.list[OutgoingMail]:
        """Up to ``limit`` messages due (``next_attempt_at <= now``), neither sent nor given
        up nor under another worker's live lease, each now under a new lease for
        ``lease_seconds`` with its attempt counted. A message is claimed by one worker only
        (a conditional UPDATE), and its outcome is written only under that lease."""
        ...

    def mark_sent(self, mail: OutgoingMail, now: int) -> bool:
        """The message was accepted by the SMTP server: its content is dropped. False (and
        nothing changed) when ``mail``'s lease is no longer the row's."""
        ...

    def retry_later(self, mail: OutgoingMail, next_attempt_at: int, error: str) -> bool:
        """The attempt failed (``error``: a short reason, no content); try again then.
        False (and nothing changed) when the lease is no longer the row's."""
        ...

    def give_up(self, mail: OutgoingMail, now: int, error: str) -> bool:
        """No more attempts: the content is dropped and the reason kept. False (and nothing
        changed) when the lease is no longer the row's."""
        ...

    def get(self, mail_id: str) -> OutgoingMail | None: ...


class EmailRequestRepository(Protocol):
    def record(self, ip: str | None, email_normalized: str, now: int) -> None:
        """One submission of a form that may send email to ``email_normalized``."""
        ...

    def count_since(
        self, since: int, *, ip: str | None = None, email_normalized: str | None = None
    ) -> int:
        """Submissions at or after ``since`` from ``ip``, or for ``email_normalized``."""
        ...
