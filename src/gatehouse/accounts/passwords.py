"""Password hashing with argon2id (OWASP parameters by default)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MAX_PASSWORD_LENGTH = 1024  # bounds the work an attacker can make a login cost


class Passwords:
    def __init__(self, time_cost: int = 2, memory_kib: int = 19456) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=Type.ID
        )
        # Verified against when the user does not exist, so timing does not reveal which
        # usernames exist.
        self._dummy_hash = self._hasher.hash("gatehouse-timing-equalizer")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def check_password_policy(password: str) -> str | None:
    """Why a new password is not acceptable, or None (NIST SP 800-63B: length, not rules)."""
    if len(password) < 8:
        return "a password must be at least 8 characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password must be at most {MAX_PASSWORD_LENGTH} characters long"
    return None
