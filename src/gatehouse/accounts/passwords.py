"""Password hashing with argon2id (OWASP parameters by default), and the one policy every new
password passes: admin create and update, registration, reset, the account page.

A refused password is a ``PasswordProblem`` (the rule and its bound): the pages word it in
the person's language (web/templates/_password_problem.html); ``str()`` of it is the English
line operators read (CLI, apply files)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gatehouse.policy import MAX_PASSWORD_LENGTH, TenantPolicy

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "PasswordProblem",
    "PasswordRule",
    "Passwords",
    "check_password_policy",
    "is_common_password",
    "password_problem",
]

# Commonly used passwords, lower-cased, one a line: every entry of 8 or more printable ASCII
# characters among the 30,000 most frequent passwords of Mark Burnett's 10 million password
# set (xato.net), as ranked in the "passwords" frequency list of zxcvbn (Dropbox, MIT
# licence; taken from the zxcvbn 4.5.0 package on PyPI, MIT licence, Copyright (c) 2016
# Daniel Wolf). Shorter entries are left out: the minimum length refuses them anyway.
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt"


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


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The list, read once per process when a password is first checked (about 1 MB)."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def is_common_password(password: str) -> bool:
    return password.casefold() in _common_passwords()


class PasswordRule(StrEnum):
    """The rule of the password policy a new password breaks."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    PERSONAL = "personal"  # the username or the email address


@dataclass(frozen=True)
class PasswordProblem:
    """Why a new password is refused; ``limit`` is the length bound of TOO_SHORT and
    TOO_LONG (0 otherwise)."""

    rule: PasswordRule
    limit: int = 0

    def __str__(self) -> str:
        """In English, for operators."""
        match self.rule:
            case PasswordRule.TOO_SHORT:
                return f"a password must be at least {self.limit} characters long"
            case PasswordRule.TOO_LONG:
                return f"a password must be at most {self.limit} characters long"
            case PasswordRule.COMMON:
                return "this password is one of the most commonly used ones; choose another"
            case PasswordRule.PERSONAL:
                return "a password must not be the username or email address"


def password_problem(
    password: str, policy: TenantPolicy | None = None, personal: Iterable[str | None] = ()
) -> PasswordProblem | None:
    """Why a new password is not acceptable, or None. NIST SP 800-63B §3.1.1.2: a minimum
    length, a generous maximum, no composition rules, and no password from a list of
    commonly used ones or from the context (``personal``: the username, the email)."""
    rules = policy or TenantPolicy()
    if len(password) < rules.password_min_length:
        return PasswordProblem(PasswordRule.TOO_SHORT, rules.password_min_length)
    if len(password) > MAX_PASSWORD_LENGTH:
        return PasswordProblem(PasswordRule.TOO_LONG, MAX_PASSWORD_LENGTH)
    if rules.password_reject_common:
        if is_common_password(password):
            return PasswordProblem(PasswordRule.COMMON)
        folded = password.casefold()
        if any(word and folded == word.strip().casefold() for word in personal):
            return PasswordProblem(PasswordRule.PERSONAL)
    return None


def check_password_policy(
    password: str, policy: TenantPolicy | None = None, personal: Iterable[str | None] = ()
) -> str | None:
    """``password_problem`` in English, for operators (admin commands, apply files)."""
    problem = password_problem(password, policy, personal)
    return None if problem is None else str(problem)
