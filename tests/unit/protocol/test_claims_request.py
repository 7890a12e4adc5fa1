"""protocol.claims_request: parsing the claims parameter (OIDC Core §5.5) with its limits,
its normalised form, the acr values it asks for and the value constraints it applies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.claims_request import (
    MAX_CLAIMS_PER_MEMBER,
    ClaimsRequest,
    RequestedClaim,
    parse_claims_request,
    released_for,
)

PARSED = [
    (None, None),
    ("{}", {}),
    ('{"userinfo": null, "id_token": {}}', {}),
    ('{"userinfo": {"email": null}}', {"userinfo": {"email": {}}}),
    (
        '{"other": [1], "id_token": {"auth_time": {"essential": true}}}',
        {"id_token": {"auth_time": {"essential": True}}},
    ),
    ('{"id_token": {"acr": {"value": "phr"}}}', {"id_token": {"acr": {"values": ["phr"]}}}),
    (
        '{"userinfo": {"n": {"values": [1, 2.5, true, "x"], "purpose": "ignored"}}}',
        {"userinfo": {"n": {"values": [1, 2.5, True, "x"]}}},
    ),
]


@pytest.mark.parametrize(("raw", "normalised"), PARSED)
def test_parse_and_normalise(raw: str | None, normalised: dict[str, Any] | None) -> None:
    parsed = parse_claims_request(raw)
    if normalised is None:
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.to_json() == normalised
    assert ClaimsRequest.from_json(json.loads(json.dumps(normalised))) == parsed


REFUSED = [
    ("nope", "not valid JSON"),
    ("1", "must be a JSON object"),
    ('{"id_token": "email"}', "id_token member must be a JSON object"),
    ('{"userinfo": {"email": []}}', "null or a JSON object"),
    ('{"userinfo": {"": null}}', "claim of 0 characters"),
    (json.dumps({"userinfo": {"x" * 256: None}}), "claim of 256 characters"),
    ('{"userinfo": {"email": {"essential": 1}}}', "essential must be true or false"),
    ('{"userinfo": {"email": {"value": null}}}', "a value must be"),
    ('{"userinfo": {"email": {"values": "a"}}}', "values must be an array"),
    (json.dumps({"userinfo": {"e": {"values": list(range(17))}}}), "1 to 16"),
    (json.dumps({"userinfo": {"e": {"value": "v" * 256}}}), "a value must be"),
    ('{"userinfo": {"e": {"value": Infinity}}}', "not valid JSON"),
    ('{"userinfo": {}, "userinfo": {}}', "appears twice"),
    (
        json.dumps({"id_token": {f"c{i}": None for i in range(MAX_CLAIMS_PER_MEMBER + 1)}}),
        f"more than {MAX_CLAIMS_PER_MEMBER} claims",
    ),
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
]


@pytest.mark.parametrize(("raw", "fragment"), REFUSED)
def test_refused(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidRequest, match=fragment):
        parse_claims_request(raw)


def test_acr_values_come_from_both_members_id_token_first() -> None:
    parsed = parse_claims_request(
        json.dumps(
            {
                "userinfo": {"acr": {"values": ["b", "a"]}},
                "id_token": {"acr": {"value": "a"}, "amr": {"value": "pwd"}},
            }
        )
    )
    assert parsed is not None
    assert parsed.acr_values() == ("a", "b")
    assert ClaimsRequest().acr_values() == ()
    assert ClaimsRequest(id_token={"acr": RequestedClaim(essential=True)}).acr_values() == ()


@pytest.mark.parametrize(
    ("rule", "value", "accepted"),
    [
        (RequestedClaim(), "anything", True),
        (RequestedClaim(values=("a", "b")), "b", True),
        (RequestedClaim(values=("a",)), "A", False),
        (RequestedClaim(values=(True,)), True, True),
        (RequestedClaim(values=(True,)), 1, False),  # JSON true is not the number 1
        (RequestedClaim(values=(1,)), True, False),
        (RequestedClaim(values=(1,)), 1.0, True),
        (RequestedClaim(values=("1",)), 1, False),
    ],
)
def test_value_constraints(rule: RequestedClaim, value: Any, accepted: bool) -> None:
    assert rule.accepts(value) is accepted


def test_released_for_drops_only_constrained_mismatches() -> None:
    released = {"email": "a@example.com", "name": "A", "email_verified": True}
    member = {
        "email": RequestedClaim(values=("b@example.com",)),
        "email_verified": RequestedClaim(essential=True, values=(True,)),
        "phone_number": RequestedClaim(essential=True),
    }
    assert released_for(released, member) == {"name": "A", "email_verified": True}
    assert released_for(released, None) == released
    assert released_for(released, {}) == released
