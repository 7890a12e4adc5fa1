"""Password hashing with argon2id (OWASP parameters by default), and the one policy every new
password passes: admin create and update, registration, reset, the account page."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gatehouse.policy import MAX_PASSWORD_LENGTH, TenantPolicy

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "PasswordProblem",
    "Passwords",
    "WeakPassword",
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


class PasswordProblem(Enum):
    """Why a new password is refused. The pages say it in the person's language
    (web/password_messages.py); the operator's commands in English (``check_password_policy``)."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    PERSONAL = "personal"  # the username or the email address


@dataclass(frozen=True)
class WeakPassword:
    problem: PasswordProblem
    min_length: int  # the policy's minimum, which TOO_SHORT's message names
    max_length: int = MAX_PASSWORD_LENGTH


def password_problem(
    password: str, policy: TenantPolicy | None = None, personal: Iterable[str | None] = ()
) -> WeakPassword | None:
    """Why a new password is not acceptable, or None. NIST SP 800-63B §3.1.1.2: a minimum
    length, a generous maximum, no composition rules, and no password from a list of
    commonly used ones or from the context (``personal``: the username, the email)."""
    rules = policy or TenantPolicy()
    problem = None
    if len(password) < rules.password_min_length:
        problem = PasswordProblem.TOO_SHORT
    elif len(password) > MAX_PASSWORD_LENGTH:
        problem = PasswordProblem.TOO_LONG
    elif rules.password_reject_common and is_common_password(password):
        problem = PasswordProblem.COMMON
    elif rules.password_reject_common and _is_personal(password, personal):
        problem = PasswordProblem.PERSONAL
    return None if problem is None else WeakPassword(problem, rules.password_min_length)


def _is_personal(password: str, personal: Iterable[str | None]) -> bool:
    folded = password.casefold()
    return any(word and folded == word.strip().casefold() for word in personal)


_IN_ENGLISH = {
    PasswordProblem.TOO_SHORT: "a password must be at least {min_length} characters long",
    PasswordProblem.TOO_LONG: "a password must be at most {max_length} characters long",
    PasswordProblem.COMMON: "this password is one of the most commonly used ones; choose another",
    PasswordProblem.PERSONAL: "a password must not be the username or email address",
}


def check_password_policy(
    password: str, policy: TenantPolicy | None = None, personal: Iterable[str | None] = ()
) -> str | None:
    """``password_problem``, said in English (the operator's commands)."""
    weak = password_problem(password, policy, personal)
    if weak is None:
        return None
    return _IN_ENGLISH[weak.problem].format(min_length=weak.min_length, max_length=weak.max_length)
