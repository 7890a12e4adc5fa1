"""A person's profile claims (OIDC Core §5.1) and the rules every change to them passes,
whoever makes it: an operator (admin/users.py) or the person on the account page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from typing import Any

from gatehouse.accounts.identifiers import has_hostile_characters, is_email
from gatehouse.storage.records import UserProfile

MAX_CLAIM_LENGTH = 255
#: The claims an operator sets.
PROFILE_FIELDS = ("email", "email_verified", "name", "given_name", "family_name", "phone_number")
#: The claims a person edits on the account page. Not email: a new address must be proved
#: by a link sent to it first (self-service email verification), or a person could claim
#: someone else's address and with it that person's sign-in name.
SELF_EDITABLE_FIELDS = ("name", "given_name", "family_name", "phone_number")
_TEXT_CLAIMS = ("name", "given_name", "family_name", "phone_number")


class ProfileRule(StrEnum):
    """The rule a profile change breaks."""

    NOT_A_CLAIM = "not_a_claim"
    NOT_AN_EMAIL = "not_an_email"
    TOO_LONG = "too_long"  # longer than MAX_CLAIM_LENGTH
    HOSTILE_CHARACTERS = "hostile_characters"  # invisible or control characters


class ProfileError(ValueError):
    """A profile change that breaks a rule: ``claim`` and ``rule`` say which (the account
    page words them in the person's language); the message says it in one English line,
    for operators."""

    def __init__(self, claim: str, rule: ProfileRule, message: str) -> None:
        super().__init__(message)
        self.claim = claim
        self.rule = rule


def changed_profile(base: UserProfile, changes: Mapping[str, Any]) -> UserProfile:
    """``base`` with ``changes`` (claim name -> new value; None clears it), checked."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ProfileError(
            unknown[0], ProfileRule.NOT_A_CLAIM, f"{unknown[0]} is not a profile claim"
        )
    email = changes.get("email")
    if email is not None and not is_email(email):
        raise ProfileError("email", ProfileRule.NOT_AN_EMAIL, f"{email!r} is not an email address")
    for name in _TEXT_CLAIMS:
        value = changes.get(name)
        if value is not None and len(value) > MAX_CLAIM_LENGTH:
            raise ProfileError(name, ProfileRule.TOO_LONG, f"{name} is too long")
        if value is not None and has_hostile_characters(value):
            raise ProfileError(
                name,
                ProfileRule.HOSTILE_CHARACTERS,
                f"{name} cannot contain invisible or control characters",
            )
    return replace(base, **changes)
