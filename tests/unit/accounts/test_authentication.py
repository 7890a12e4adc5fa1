"""accounts.authentication: a username (or email) and password against the stored users."""

from __future__ import annotations

import pytest

from gatehouse.accounts.authentication import MAX_LOGIN_LENGTH, authenticate
from gatehouse.accounts.passwords import Passwords
from gatehouse.admin.users import set_disabled
from gatehouse.runtime import Runtime
from tests.support.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("login", "password", "signs_in"),
    [
        ("alice", PASSWORD, True),
        ("ALICE@example.com", PASSWORD, True),
        ("alice", PASSWORD + "!", False),
        ("alice", "", False),
        ("mallory", PASSWORD, False),
        ("a" * (MAX_LOGIN_LENGTH + 1), PASSWORD, False),
    ],
)
def test_authenticate(runtime: Runtime, login: str, password: str, signs_in: bool) -> None:
    make_user(runtime)
    user = authenticate(runtime.store.users, runtime.passwords, login, password)
    assert (user is not None and user.username == "alice") is signs_in


def test_a_disabled_user_cannot_sign_in(runtime: Runtime) -> None:
    make_user(runtime)
    set_disabled(runtime, "alice", True)
    assert authenticate(runtime.store.users, runtime.passwords, "alice", PASSWORD) is None


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(runtime: Runtime) -> None:
    alice = make_user(runtime)
    stronger = Passwords(time_cost=2, memory_kib=8192)
    assert authenticate(runtime.store.users, stronger, "alice", PASSWORD) is not None
    stored = runtime.store.users.get(alice["id"])
    assert stored is not None and stored.password_hash is not None
    assert not stronger.needs_rehash(stored.password_hash)
    assert authenticate(runtime.store.users, stronger, "alice", PASSWORD) is not None
