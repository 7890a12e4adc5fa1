"""accounts.profile: the address claim's parts (OIDC Core §5.1.1) and their rules."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.accounts.profile import (
    MAX_CLAIM_LENGTH,
    ProfileError,
    ProfileRule,
    changed_address,
    changed_profile,
)
from gatehouse.storage.records import UserProfile

EMPTY = UserProfile(
    email=None,
    email_verified=False,
    name=None,
    given_name=None,
    family_name=None,
    phone_number=None,
    phone_number_verified=False,
    address=None,
)
HOME = {"street_address": "1 Main St", "locality": "Springfield", "country": "US"}


def test_parts_given_change_and_parts_left_out_stay() -> None:
    assert changed_address(HOME, {"locality": "Shelbyville", "postal_code": "12345"}) == {
        "street_address": "1 Main St",
        "locality": "Shelbyville",
        "country": "US",
        "postal_code": "12345",
    }


@pytest.mark.parametrize("cleared", [None, "", "   "])
def test_a_blank_or_none_part_is_cleared(cleared: str | None) -> None:
    assert changed_address(HOME, {"country": cleared}) == {
        "street_address": "1 Main St",
        "locality": "Springfield",
    }


def test_an_address_without_parts_is_no_address() -> None:
    assert changed_address(HOME, dict.fromkeys(HOME)) is None
    assert changed_address(HOME, None) is None


def test_the_street_address_keeps_its_lines_and_drops_blank_ones() -> None:
    typed = {"street_address": "  Flat 2\r\n\r\n 1 Main St  "}
    assert changed_address(None, typed) == {"street_address": "Flat 2\n1 Main St"}


@pytest.mark.parametrize(
    ("parts", "claim", "rule"),
    [
        ({"formatted": "1 Main St"}, "address", ProfileRule.NOT_A_CLAIM),
        ({"locality": 7}, "locality", ProfileRule.NOT_A_CLAIM),
        ({"locality": "x" * (MAX_CLAIM_LENGTH + 1)}, "locality", ProfileRule.TOO_LONG),
        (
            {"street_address": ("y" * 200 + "\n") * 2},
            "street_address",
            ProfileRule.TOO_LONG,
        ),
        ({"region": "North\u202eern"}, "region", ProfileRule.HOSTILE_CHARACTERS),
        ({"street_address": "1 Main\tSt"}, "street_address", ProfileRule.HOSTILE_CHARACTERS),
    ],
)
def test_each_rule(parts: dict[str, Any], claim: str, rule: ProfileRule) -> None:
    with pytest.raises(ProfileError) as refused:
        changed_address(HOME, parts)
    assert (refused.value.claim, refused.value.rule) == (claim, rule)


def test_the_profile_carries_the_changed_address() -> None:
    profile = changed_profile(EMPTY, {"name": "Alice", "address": {"country": "DE"}})
    assert profile.address == {"country": "DE"}
    assert profile.name == "Alice"
