"""The roles and groups claims (protocol/person_claims.py): ids or names, the limit and the
overage indicator past it, and no statement at all when a token needs neither."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.protocol.audiences import Audience
from gatehouse.protocol.person_claims import (
    GROUPS_CLAIM_LIMIT,
    NONE,
    groups_claim,
    person_claims,
)
from gatehouse.protocol.provider import Provider
from gatehouse.storage.groups import GroupRef
from gatehouse.storage.records import User
from tests.conftest import ISSUER
from tests.unit.protocol.conftest import Registered

GROUPS = tuple(GroupRef(f"id-{n:03}", f"name-{n:03}") for n in range(GROUPS_CLAIM_LIMIT + 1))


@pytest.mark.parametrize(
    ("choice", "count", "expected"),
    [
        (None, 3, {}),
        ("names", 0, {}),
        ("names", 2, {"groups": ["name-000", "name-001"]}),
        ("ids", 2, {"groups": ["id-000", "id-001"]}),
        ("names", GROUPS_CLAIM_LIMIT, {"groups": [g.name for g in GROUPS[:-1]]}),
        (
            "ids",
            GROUPS_CLAIM_LIMIT + 1,
            {
                "_claim_names": {"groups": "src1"},
                "_claim_sources": {"src1": {"endpoint": f"{ISSUER}/userinfo"}},
            },
        ),
    ],
)
def test_the_groups_claim(
    provider: Provider,
    web: Registered,
    choice: str | None,
    count: int,
    expected: dict[str, object],
) -> None:
    client = replace(web.client, groups_claim=choice)  # type: ignore[arg-type]  # the table's values
    assert groups_claim(provider, client, GROUPS[:count]) == expected


def test_nothing_to_read_when_the_token_needs_neither(
    provider: Provider, web: Registered, alice: User
) -> None:
    """An audience with no app roles and a client without the groups claim: the early return
    (the shared empty claims), before any statement."""
    audience = Audience(provider.config.userinfo_endpoint, ("openid",), None)
    assert person_claims(provider, web.client, alice.id, audience) is NONE
