"""The claims request parameter (OIDC Core §5.5): which claims a client asks for in the ID
token and at UserInfo, and with which constraints.

gatehouse asks the person's consent by scope, so the claims parameter never widens what a
grant releases: a claim is released under a granted scope that covers it (claims.py), as
without the parameter. What the parameter adds:

- value constraints (§5.5.1 ``value``, ``values``): a claim whose value is not one of those
  asked for is not returned (§5.5.1: "the Claim SHOULD NOT be returned");
- ``acr`` with ``value`` or ``values`` (§5.5.1.1) asks for an authentication class, as
  ``acr_values`` does: gatehouse meets one of them or refuses (docs/step-up.md);
- essential claims it cannot return are no error (§5.5.1: "the Authorization Server MUST
  NOT generate an error when Claims are not returned").

The parameter is parsed once at the authorization endpoint into the normalised JSON kept with
the request, the code and the refresh tokens (``to_json``); ``from_json`` reads it back.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatehouse.errors import InvalidRequest

MEMBERS = ("userinfo", "id_token")
MAX_CLAIMS_PER_MEMBER = 32
MAX_CLAIM_NAME_LENGTH = 255
MAX_VALUES = 16
MAX_VALUE_LENGTH = 255

Scalar = str | int | float | bool


@dataclass(frozen=True)
class RequestedClaim:
    """One claim asked for: whether it is essential, and the values it must have (None: any)."""

    essential: bool = False
    values: tuple[Scalar, ...] | None = None

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` meets the constraint. JSON true is not the number 1."""
        if self.values is None:
            return True
        return any(type(value) is type(v) and value == v for v in self.values) or (
            _is_number(value) and any(_is_number(v) and value == v for v in self.values)
        )


@dataclass(frozen=True)
class ClaimsRequest:
    """The parameter's userinfo and id_token members; other members are ignored (§5.5)."""

    userinfo: Mapping[str, RequestedClaim] = field(default_factory=dict)
    id_token: Mapping[str, RequestedClaim] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            member: {name: _claim_json(rule) for name, rule in getattr(self, member).items()}
            for member in MEMBERS
            if getattr(self, member)
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ClaimsRequest:
        """The normalised form ``to_json`` wrote (trusted: gatehouse stored it)."""
        data = data or {}
        return cls(
            **{
                member: {
                    name: RequestedClaim(
                        bool(rule.get("essential", False)),
                        tuple(rule["values"]) if "values" in rule else None,
                    )
                    for name, rule in data.get(member, {}).items()
                }
                for member in MEMBERS
            }
        )

    def acr_values(self) -> tuple[str, ...]:
        """§5.5.1.1: the authentication classes asked for through the acr claim, ID token
        member first."""
        found: dict[str, None] = {}
        for member in (self.id_token, self.userinfo):
            rule = member.get("acr")
            values = rule.values if rule is not None and rule.values is not None else ()
            found.update((value, None) for value in values if isinstance(value, str))
        return tuple(found)


def _claim_json(rule: RequestedClaim) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rule.essential:
        out["essential"] = True
    if rule.values is not None:
        out["values"] = list(rule.values)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def released_for(
    claims: dict[str, Any], member: Mapping[str, RequestedClaim] | None
) -> dict[str, Any]:
    """``claims`` (what the granted scopes release) without those whose value the request
    constrained to something else (§5.5.1)."""
    if not member:
        return claims
    return {
        name: value
        for name, value in claims.items()
        if (rule := member.get(name)) is None or rule.accepts(value)
    }


# -- Parsing the parameter ---------------------------------------------------------------------


def parse_claims_request(raw: str | None) -> ClaimsRequest | None:
    """§5.5: a JSON object with optional userinfo and id_token members, each mapping claim
    names to null or to {"essential": bool, "value": v} / {"values": [...]}. Raises
    InvalidRequest naming the first problem. (The parameter itself is at most
    messages.MAX_PARAMETER_LENGTH characters.)"""
    if raw is None:
        return None
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicate_names, parse_constant=_no_constants)
    except RecursionError:
        raise InvalidRequest("the claims parameter is nested too deeply") from None
    except ValueError as exc:
        raise InvalidRequest(f"the claims parameter is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the claims parameter must be a JSON object")
    members = {m: _member(m, data.get(m)) for m in MEMBERS}
    return ClaimsRequest(**members)


def _no_constants(name: str) -> Any:
    """NaN and the infinities are not JSON, though Python's json module reads them."""
    raise ValueError(f"{name} is not a JSON value")


def _no_duplicate_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("a member name appears twice in one object")
    return dict(pairs)


def _member(name: str, value: Any) -> dict[str, RequestedClaim]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"the claims parameter's {name} member must be a JSON object")
    if len(value) > MAX_CLAIMS_PER_MEMBER:
        raise InvalidRequest(
            f"the claims parameter's {name} member asks for more than "
            f"{MAX_CLAIMS_PER_MEMBER} claims"
        )
    return {claim: _requested(name, claim, rule) for claim, rule in value.items()}


def _requested(member: str, claim: str, rule: Any) -> RequestedClaim:
    where = f"claims parameter, {member}.{claim[:40]}"
    if not 0 < len(claim) <= MAX_CLAIM_NAME_LENGTH:
        raise InvalidRequest(f"the claims parameter names a claim of {len(claim)} characters")
    if rule is None:
        return RequestedClaim()
    if not isinstance(rule, dict):
        raise InvalidRequest(f"{where}: must be null or a JSON object")
    essential = rule.get("essential", False)
    if not isinstance(essential, bool):
        raise InvalidRequest(f"{where}: essential must be true or false")
    if "value" in rule and "values" in rule:
        raise InvalidRequest(f"{where}: give value or values, not both")
    if "value" in rule:
        return RequestedClaim(essential, (_scalar(where, rule["value"]),))
    if "values" in rule:
        values = rule["values"]
        if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES:
            raise InvalidRequest(f"{where}: values must be an array of 1 to {MAX_VALUES} values")
        return RequestedClaim(essential, tuple(_scalar(where, v) for v in values))
    return RequestedClaim(essential)


def _scalar(where: str, value: Any) -> Scalar:
    """Values gatehouse can compare: strings, numbers and booleans."""
    if isinstance(value, str) and len(value) <= MAX_VALUE_LENGTH:
        return value
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value  # 1e999 reads as infinity, which no JSON column can hold
    raise InvalidRequest(
        f"{where}: a value must be a string of at most {MAX_VALUE_LENGTH} characters, "
        "a number or a boolean"
    )
