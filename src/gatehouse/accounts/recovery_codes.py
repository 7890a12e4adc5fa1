"""One-time recovery codes: the way in when the authenticator app is lost.

Ten codes are made at enrolment (and again on request, replacing the old ones) and shown
once. Each is 16 characters of Crockford's base32, 80 random bits: far beyond what an
online guesser can try, and too many for an offline search of a stolen database. That is
why they are stored as SHA-256 digests (salted with the user id) rather than with argon2:
a slow hash adds nothing to 80 bits, and checking a code is one indexed UPDATE instead of
ten argon2 runs (DESIGN.md §2: high-entropy secrets are stored as SHA-256).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.second_factor import AnswerProblem, InvalidAnswer, Sufficient
from gatehouse.crypto import sha256_digest
from gatehouse.storage.records import User
from gatehouse.storage.repositories import SecondFactorRepository

COUNT = 10
LENGTH = 16  # characters, 5 bits each
GROUP = 4
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
# Read back as Crockford's base32 is: letters that look like digits are those digits.
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
CODE_FIELD = "recovery_code"
MAX_ANSWER = 64


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalized(text: str | None) -> str:
    """The code as stored: lower case, without spaces or dashes; InvalidAnswer when it
    cannot be one."""
    raw = "".join((text or "")[:MAX_ANSWER].split()).replace("-", "").lower()
    if not raw:
        raise InvalidAnswer(AnswerProblem.NO_RECOVERY_CODE)
    raw = raw.translate(_LOOKALIKES)
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        raise InvalidAnswer(AnswerProblem.RECOVERY_CODE_MALFORMED)
    return raw


def code_hash(user_id: str, code: str) -> str:
    return sha256_digest(f"{user_id}:{code}")


class RecoveryCodes:
    """Recovery codes: issuing them, and the second-factor method (``SecondFactorMethod``)."""

    name: str = "recovery_code"
    label: str = "Recovery code"
    # RFC 8176 has no value of its own for them: a recovery code is a one-time password
    # the person holds (on paper, in a password manager), so "otp".
    amr: tuple[str, ...] = ("otp",)
    wrong_answer: AnswerProblem = AnswerProblem.WRONG_CODE

    def __init__(self, repository: SecondFactorRepository) -> None:
        self._repository = repository

    def issue(self, user_id: str, now: int) -> list[str]:
        """New codes for the person, replacing any left; shown once, stored hashed."""
        codes = [new_code() for _ in range(COUNT)]
        hashes = [code_hash(user_id, normalized(code)) for code in codes]
        self._repository.replace_recovery_codes(user_id, hashes, now)
        return codes

    def left(self, user_id: str) -> int:
        return self._repository.unused_recovery_codes(user_id)

    def enrolled(self, user_id: str) -> bool:
        return self.left(user_id) > 0

    def usable(self, user_id: str, sufficient: Sufficient) -> bool:
        return sufficient(self.amr) and self.enrolled(user_id)

    def offer(self, user: User, binding: str, now: int, sufficient: Sufficient) -> dict[str, Any]:
        return {}

    def verify(
        self,
        user: User,
        answer: Mapping[str, str],
        binding: str,
        now: int,
        sufficient: Sufficient,
        context: AuditContext,
    ) -> tuple[str, ...] | None:
        code = normalized(answer.get(CODE_FIELD))
        right = self._repository.use_recovery_code(user.id, code_hash(user.id, code), now)
        return self.amr if right else None
