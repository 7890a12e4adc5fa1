"""The claims that say what a person holds, computed at every issuance (so a refreshed token
reflects today's groups and assignments; docs/groups-and-roles.md):

- ``roles`` (RFC 9068 §2.2.3.1) in an access token for an API: the API's app roles assigned
  to the person directly or through (nested) groups;
- ``groups`` (RFC 9068 §2.2.3.1; in the ID token too) for a client registered with a groups
  claim: the person's groups, by id or by name, at most ``GROUPS_CLAIM_LIMIT``. Past the limit
  the claim is left out and the token says where the whole list is, as Microsoft Entra ID
  does, in the shape of OIDC Core §5.6.2 distributed claims: ``_claim_names`` maps
  ``groups`` to a source whose ``endpoint`` is gatehouse's UserInfo, which answers with every
  group (as plain JSON, not the signed JWT §5.6.2 describes).

Both come from one statement (``GroupRepository.access_of``), and none when the token needs
neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatehouse.protocol.audiences import Audience
from gatehouse.protocol.provider import Provider
from gatehouse.storage.groups import GroupRef
from gatehouse.storage.records import Client

# Entra ID's limit for JWTs: headers, cookies and URLs that carry a token stay small.
GROUPS_CLAIM_LIMIT = 200
OVERAGE_SOURCE = "src1"


@dataclass(frozen=True)
class PersonClaims:
    """The claims of one issuance: for the access token, and for the ID token."""

    access_token: dict[str, Any] = field(default_factory=dict)
    id_token: dict[str, Any] = field(default_factory=dict)


NONE = PersonClaims()


def person_claims(
    provider: Provider, client: Client, user_id: str, audience: Audience
) -> PersonClaims:
    """What ``user_id`` holds, as the claims of the tokens ``client`` gets for ``audience``."""
    api = audience.api
    defined = api.role_names() if api is not None else frozenset()
    if not defined and client.groups_claim is None:
        return NONE
    access = provider.groups.access_of(
        user_id,
        api.identifier if api is not None and defined else None,
        groups=client.groups_claim is not None,
    )
    groups = groups_claim(provider, client, access.groups)
    # A role the API has since dropped is not issued (as for client credentials).
    roles = sorted(access.roles & defined)
    return PersonClaims(
        access_token={**({"roles": roles} if roles else {}), **groups}, id_token=groups
    )


def groups_claim(
    provider: Provider, client: Client, groups: tuple[GroupRef, ...]
) -> dict[str, Any]:
    """``groups`` as the client asked for it, or the overage indicator past the limit."""
    if client.groups_claim is None or not groups:
        return {}
    if len(groups) > GROUPS_CLAIM_LIMIT:
        return {
            "_claim_names": {"groups": OVERAGE_SOURCE},
            "_claim_sources": {OVERAGE_SOURCE: {"endpoint": provider.config.userinfo_endpoint}},
        }
    return {"groups": group_values(client, groups)}


def group_values(client: Client, groups: tuple[GroupRef, ...]) -> list[str]:
    """The groups as the client's groups claim names them: ids, or names."""
    return [g.id if client.groups_claim == "ids" else g.name for g in groups]
