"""accounts.passwords: argon2id hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from gatehouse.accounts.passwords import (
    COMMON_PASSWORDS_FILE,
    MAX_PASSWORD_LENGTH,
    Passwords,
    check_password_policy,
    is_common_password,
)
from gatehouse.policy import PolicyError, TenantPolicy

# The cheapest argon2id parameters: the tests exercise the code, not the cost.
CHEAP = {"time_cost": 1, "memory_kib": 8192}


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(**CHEAP)


def test_hashes_are_argon2id_with_the_configured_parameters(passwords: Passwords) -> None:
    hashed = passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert "correct horse battery" not in hashed
    assert passwords.hash("correct horse battery") != hashed  # salted


def test_default_parameters_are_owasp_ones() -> None:
    assert Passwords().hash("x" * 8).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("correct horse battery", True),
        ("Correct horse battery", False),
        ("correct horse battery ", False),
        ("correct horse batter", False),
        ("", False),
    ],
)
def test_verify(passwords: Passwords, password: str, ok: bool) -> None:
    hashed = passwords.hash("correct horse battery")
    assert passwords.verify(hashed, password) is ok


def test_non_ascii_passwords(passwords: Passwords) -> None:
    hashed = passwords.hash("p\u00e4ssw\u00f6rd \U0001f511")
    assert passwords.verify(hashed, "p\u00e4ssw\u00f6rd \U0001f511")
    assert not passwords.verify(hashed, "passwort \U0001f511")


def test_no_hash_never_verifies_but_still_does_the_work(
    passwords: Passwords, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing user (or one without a password) costs the same as a wrong password."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    assert passwords.verify(None, "gatehouse-timing-equalizer") is False
    assert passwords.verify(None, "anything") is False
    assert len(calls) == 2


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=8192,t=1,p=1$broken"])
def test_a_corrupt_hash_does_not_verify(passwords: Passwords, stored: str) -> None:
    assert passwords.verify(stored, "whatever") is False


def test_too_long_passwords_are_rejected_before_hashing(
    passwords: Passwords, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_password = "x" * (MAX_PASSWORD_LENGTH + 1)
    # A hash that would match, as if stored by some other path: only the length rule refuses.
    hashed = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(long_password)
    calls: list[str] = []
    original = PasswordHasher.verify

    def spy(self: PasswordHasher, hash: str, password: str) -> bool:
        calls.append(password)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", spy)
    assert passwords.verify(hashed, long_password) is False
    assert calls == []


def test_the_longest_allowed_password_verifies(passwords: Passwords) -> None:
    password = "y" * MAX_PASSWORD_LENGTH
    assert passwords.verify(passwords.hash(password), password)


def test_needs_rehash_after_a_parameter_change(passwords: Passwords) -> None:
    hashed = passwords.hash("correct horse battery")
    assert passwords.needs_rehash(hashed) is False
    assert Passwords(time_cost=2, memory_kib=8192).needs_rehash(hashed) is True
    assert Passwords(time_cost=1, memory_kib=16384).needs_rehash(hashed) is True


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "at least 8"),
        ("1234567", "at least 8"),
        ("12345678", "commonly used"),
        ("k7#pq2!x", None),
        ("no rules, just length", None),
        ("z" * MAX_PASSWORD_LENGTH, None),
        ("z" * (MAX_PASSWORD_LENGTH + 1), "at most 1024"),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    result = check_password_policy(password)
    if problem is None:
        assert result is None
    else:
        assert result is not None and problem in result


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("password1", "commonly used"),
        ("PassWord1", "commonly used"),  # compared case-insensitively
        ("TRUSTNO1", "commonly used"),
        ("iloveyou", "commonly used"),
        ("staple horse correct battery", None),
    ],
)
def test_common_passwords_are_refused(password: str, problem: str | None) -> None:
    result = check_password_policy(password, TenantPolicy())
    assert (result is None) if problem is None else (result is not None and problem in result)


def test_the_common_password_list_is_read_once_and_is_compact() -> None:
    assert is_common_password("password") and is_common_password("Qwertyuiop")
    assert not is_common_password("a sentence nobody has used as a password")
    entries = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    # Only what the minimum length lets through can matter: 8 characters or more.
    assert 10_000 <= len(entries) <= 100_000 and min(map(len, entries)) >= 8
    assert all(entry == entry.casefold() for entry in entries)


def test_the_tenant_policy_sets_the_minimum_and_the_list_check() -> None:
    longer = TenantPolicy(password_min_length=12)
    assert "at least 12" in (check_password_policy("k7#pq2!xyz", longer) or "")
    assert check_password_policy("k7#pq2!xyz12", longer) is None
    lax = TenantPolicy(password_reject_common=False)
    assert check_password_policy("password1", lax) is None


@pytest.mark.parametrize("password", ["alice-the-great", "ALICE-THE-GREAT", "alice@example.com"])
def test_the_username_or_email_is_no_password(password: str) -> None:
    problem = check_password_policy(password, None, ("alice-the-great", "alice@example.com", None))
    assert problem == "a password must not be the username or email address"


@pytest.mark.parametrize("minimum", [7, 1025])
def test_a_policy_minimum_outside_the_nist_range_is_refused(minimum: int) -> None:
    with pytest.raises(PolicyError, match="password_min_length"):
        TenantPolicy().with_changes({"password_min_length": str(minimum)})
