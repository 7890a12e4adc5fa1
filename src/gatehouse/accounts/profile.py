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
PROFILE_FIELDS = (
    "email",
    "email_verified",
    "name",
    "given_name",
    "family_name",
    "phone_number",
    "address",
)
#: The claims a person edits on the account page. Not email: a new address must be proved
#: by a link sent to it first (self-service email verification), or a person could claim
#: someone else's address and with it that person's sign-in name.
SELF_EDITABLE_FIELDS = ("name", "given_name", "family_name", "phone_number", "address")
_TEXT_CLAIMS = ("name", "given_name", "family_name", "phone_number")
#: The members of the address claim that gatehouse keeps (OIDC Core §5.1.1). Not
#: ``formatted``: how an address is laid out differs by country, and a stored layout would
#: go stale the first time a part changes; a relying party formats the parts.
ADDRESS_PARTS = ("street_address", "locality", "region", "postal_code", "country")


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
    """``base`` with ``changes`` (claim name -> new value; None clears it), checked.

    ``address`` changes part by part: a mapping of ADDRESS_PARTS to the new value, where
    None or blank clears that part and a part left out keeps its value; an address with no
    part left is no address (None)."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ProfileError(
            unknown[0], ProfileRule.NOT_A_CLAIM, f"{unknown[0]} is not a profile claim"
        )
    email = changes.get("email")
    if email is not None and not is_email(email):
        raise ProfileError("email", ProfileRule.NOT_AN_EMAIL, f"{email!r} is not an email address")
    for name in _TEXT_CLAIMS:
        _check_text(name, changes.get(name))
    if "address" in changes:
        changes = {**changes, "address": changed_address(base.address, changes["address"])}
    return replace(base, **changes)


def changed_address(
    base: Mapping[str, Any] | None, parts: Mapping[str, Any] | None
) -> dict[str, str] | None:
    """The address claim ``base`` with ``parts`` changed (see changed_profile); None clears
    the whole address."""
    if parts is None:
        return None
    unknown = sorted(set(parts) - set(ADDRESS_PARTS))
    if unknown:
        raise ProfileError(
            "address", ProfileRule.NOT_A_CLAIM, f"{unknown[0]!r} is not a part of an address"
        )
    address = {k: v for k, v in (base or {}).items() if k in ADDRESS_PARTS}
    for part, value in parts.items():
        if value is not None and not isinstance(value, str):
            raise ProfileError(part, ProfileRule.NOT_A_CLAIM, f"address {part} must be text")
        text = value.strip() if value is not None else ""
        if part == "street_address":
            # §5.1.1: the street address may hold several lines, separated by "\n".
            text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
            for line in text.split("\n"):
                _check_text(part, line)
        else:
            _check_text(part, text)
        if len(text) > MAX_CLAIM_LENGTH:
            raise ProfileError(part, ProfileRule.TOO_LONG, f"address {part} is too long")
        if text:
            address[part] = text
        else:
            address.pop(part, None)
    return address or None


def _check_text(name: str, value: str | None) -> None:
    if value is not None and len(value) > MAX_CLAIM_LENGTH:
        raise ProfileError(name, ProfileRule.TOO_LONG, f"{name} is too long")
    if value is not None and has_hostile_characters(value):
        raise ProfileError(
            name,
            ProfileRule.HOSTILE_CHARACTERS,
            f"{name} cannot contain invisible or control characters",
        )
