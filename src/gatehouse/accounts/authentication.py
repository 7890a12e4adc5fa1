"""Signing a person in with a username (or email) and password."""

from __future__ import annotations

from gatehouse.accounts.passwords import Passwords
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import User


def authenticate(
    provider: Provider, passwords: Passwords, login: str, password: str
) -> User | None:
    """The enabled user with this login and password, or None. The same work is done whether
    or not the user exists."""
    user = provider.users.find_by_login(login) if len(login) <= 320 else None
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        provider.users.update_password_hash(user.id, passwords.hash(password))
    return user
