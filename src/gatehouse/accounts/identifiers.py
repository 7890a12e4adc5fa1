"""What a username, an email address and a display name may be: one set of rules for the
operator's commands (admin/users.py) and a person's own registration."""

from __future__ import annotations

import re
import unicodedata

_USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,255}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
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


def username_problem(value: str) -> str | None:
    """Why ``value`` cannot be the username a person chooses, or None. Stricter than
    ``is_username``: no @, so that a chosen username cannot pose as someone's email (a login
    matches usernames and emails alike)."""
    if not value:
        return "Enter a username."
    if len(value) > 64:
        return "A username is at most 64 characters long."
    if not is_username(value) or has_hostile_characters(value):
        return "A username cannot contain spaces or invisible or control characters."
    if "@" in value:
        return "A username cannot contain @; your email address goes in its own field."
    return None


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an address gatehouse can send a link to, or None."""
    if not value:
        return "Enter your email address."
    if len(value) > 254:  # RFC 5321 §4.5.3.1.3: the longest path is 256 with its <>
        return "An email address is at most 254 characters long."
    domain = value.rpartition("@")[2]
    if not is_email(value) or has_hostile_characters(value) or "." not in domain.strip("."):
        return "Enter an email address such as name@example.com."
    return None


def name_problem(value: str) -> str | None:
    if len(value) > MAX_NAME_LENGTH:
        return f"A name is at most {MAX_NAME_LENGTH} characters long."
    if has_hostile_characters(value):
        return "A name cannot contain invisible or control characters."
    return None
