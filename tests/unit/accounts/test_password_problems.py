"""accounts.passwords.password_problem: the rule a new password breaks, as a value the pages
word in the person's language; str() of it is the English line operators read."""

from __future__ import annotations

import pytest

from gatehouse.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordProblem,
    PasswordRule,
    check_password_policy,
    password_problem,
)
from gatehouse.policy import TenantPolicy


@pytest.mark.parametrize(
    ("password", "policy", "problem"),
    [
        ("1234567", None, PasswordProblem(PasswordRule.TOO_SHORT, 8)),
        (
            "k7#pq2!xyz",
            TenantPolicy(password_min_length=12),
            PasswordProblem(PasswordRule.TOO_SHORT, 12),
        ),
        (
            "z" * (MAX_PASSWORD_LENGTH + 1),
            None,
            PasswordProblem(PasswordRule.TOO_LONG, MAX_PASSWORD_LENGTH),
        ),
        ("password1", None, PasswordProblem(PasswordRule.COMMON)),
        ("Alice@Example.com", None, PasswordProblem(PasswordRule.PERSONAL)),
        ("k7#pq2!x", None, None),
    ],
)
def test_the_rule_broken_and_its_bound(
    password: str, policy: TenantPolicy | None, problem: PasswordProblem | None
) -> None:
    assert password_problem(password, policy, ("alice", "alice@example.com")) == problem


@pytest.mark.parametrize(
    ("problem", "english"),
    [
        (
            PasswordProblem(PasswordRule.TOO_SHORT, 12),
            "a password must be at least 12 characters long",
        ),
        (
            PasswordProblem(PasswordRule.TOO_LONG, 1024),
            "a password must be at most 1024 characters long",
        ),
        (
            PasswordProblem(PasswordRule.COMMON),
            "this password is one of the most commonly used ones; choose another",
        ),
        (
            PasswordProblem(PasswordRule.PERSONAL),
            "a password must not be the username or email address",
        ),
    ],
)
def test_operators_read_it_in_english_as_before(problem: PasswordProblem, english: str) -> None:
    assert str(problem) == english


def test_check_password_policy_is_the_english_of_password_problem() -> None:
    assert check_password_policy("short") == "a password must be at least 8 characters long"
    assert check_password_policy("k7#pq2!x") is None
