"""Signing a person in with a username (or email) and password."""

from __future__ import annotations

from gatehouse.accounts.passwords import Passwords
from gatehouse.storage.records import User
from gatehouse.storage.repositories import UserRepository

MAX_LOGIN_LENGTH = 320  # an email address: 64 + "@" + 255 (RFC 5321 §4.5.3.1)


def find_account(users: UserRepository, login: str) -> User | None:
    """The user (enabled or not) whose username or email is ``login``, or None."""
    return users.find_by_login(login) if len(login) <= MAX_LOGIN_LENGTH else None


def verify_password(
    users: UserRepository, passwords: Passwords, user: User | None, password: str
) -> User | None:
    """``user`` if it is enabled and ``password`` is its password, else None. The same work
    is done whether or not there is a user."""
    ok = passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        users.update_password_hash(user.id, passwords.hash(password))
    return user


def authenticate(
    users: UserRepository, passwords: Passwords, login: str, password: str
) -> User | None:
    """The enabled user with this login and password, or None. The same work is done whether
    or not the user exists."""
    return verify_password(users, passwords, find_account(users, login), password)
