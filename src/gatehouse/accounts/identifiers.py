"""What a username, an email address and a display name may be: one set of rules for the
operator's commands (admin/users.py) and a person's own registration."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum

_USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,255}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
MAX_USERNAME_LENGTH = 64  # of a username a person chooses (operators' may be longer)
MAX_EMAIL_LENGTH = 254  # RFC 5321 §4.5.3.1.3: the longest path is 256 with its <>
MAX_NAME_LENGTH = 255
# Unicode categories no identifier or name may hold: control characters, format characters
# (bidirectional overrides such as U+202E and zero-width characters, which make one text
# look like another), surrogates, private-use and unassigned code points.
_HOSTILE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def has_hostile_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in _HOSTILE_CATEGORIES for ch in value)


def is_username(value: str) -> bool:
    """1-255 characters without white space or control characters."""
    return bool(_USERNAME.fullmatch(value))


def is_email(value: str) -> bool:
    """local@domain, no white space, one @ (what the operator's commands accept)."""
    return bool(_EMAIL.fullmatch(value))


class IdentifierProblem(Enum):
    """Why a username, an email address or a name a person typed cannot be used; the pages
    say it in the person's language (web/selfservice/messages.py)."""

    USERNAME_MISSING = "username_missing"
    USERNAME_TOO_LONG = "username_too_long"
    USERNAME_CHARACTERS = "username_characters"
    USERNAME_AT_SIGN = "username_at_sign"
    USERNAME_TAKEN = "username_taken"
    EMAIL_MISSING = "email_missing"
    EMAIL_TOO_LONG = "email_too_long"
    EMAIL_MALFORMED = "email_malformed"
    NAME_TOO_LONG = "name_too_long"
    NAME_CHARACTERS = "name_characters"


def username_problem(value: str) -> IdentifierProblem | None:
    """Why ``value`` cannot be the username a person chooses, or None. Stricter than
    ``is_username``: no @, so that a chosen username cannot pose as someone's email (a login
    matches usernames and emails alike)."""
    if not value:
        return IdentifierProblem.USERNAME_MISSING
    if len(value) > MAX_USERNAME_LENGTH:
        return IdentifierProblem.USERNAME_TOO_LONG
    if not is_username(value) or has_hostile_characters(value):
        return IdentifierProblem.USERNAME_CHARACTERS
    if "@" in value:
        return IdentifierProblem.USERNAME_AT_SIGN
    return None


def email_problem(value: str) -> IdentifierProblem | None:
    """Why ``value`` is not an address gatehouse can send a link to, or None."""
    if not value:
        return IdentifierProblem.EMAIL_MISSING
    if len(value) > MAX_EMAIL_LENGTH:
        return IdentifierProblem.EMAIL_TOO_LONG
    domain = value.rpartition("@")[2]
    if not is_email(value) or has_hostile_characters(value) or "." not in domain.strip("."):
        return IdentifierProblem.EMAIL_MALFORMED
    return None


def name_problem(value: str) -> IdentifierProblem | None:
    if len(value) > MAX_NAME_LENGTH:
        return IdentifierProblem.NAME_TOO_LONG
    if has_hostile_characters(value):
        return IdentifierProblem.NAME_CHARACTERS
    return None
