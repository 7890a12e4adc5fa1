"""accounts.passwords: argon2id hashing and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from gatehouse.accounts.passwords import MAX_PASSWORD_LENGTH, Passwords, check_password_policy

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
        ("12345678", None),
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
