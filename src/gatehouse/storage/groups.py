"""Groups of people and the app roles assigned to people: the records, and the repository
contract (``storage.sql.groups`` implements it).

A group has users and other groups as members, to any depth; membership is transitive (a
member of a group within a group is a member of both). Cycles are refused when a member is
added (admin/groups.py); the transitive reading stops at groups it has already seen, so a
cycle written by two racing operators cannot make it loop. An app role of an API is assigned
to a user directly or to a group, and reaches everyone in the group.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Literal, Protocol

PrincipalKind = Literal["user", "group"]


@dataclass(frozen=True)
class Group:
    id: str  # stable (a UUID); what the groups claim carries for clients that ask for ids
    name: str  # unique within the tenant, compared case-insensitively
    description: str | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Principal:
    """A user or a group, by id: a member of a group, or the holder of an app role."""

    kind: PrincipalKind
    id: str


@dataclass(frozen=True)
class RoleAssignment:
    """``role`` of the API ``api_identifier``, assigned to a person or a group: the person's
    delegated tokens for that API carry it in ``roles`` (docs/groups-and-roles.md)."""

    api_identifier: str
    role: str
    principal: Principal


@dataclass(frozen=True)
class GroupRef:
    id: str
    name: str


@dataclass(frozen=True)
class PersonAccess:
    """What a person holds at token issuance: the app roles of one API (directly and through
    groups), and every group they are in (directly and through nested groups)."""

    roles: frozenset[str]
    groups: tuple[GroupRef, ...]


class GroupRepository(Protocol):
    def get(self, group_id: str) -> Group | None: ...

    def find_by_name(self, name: str) -> Group | None:
        """The group whose name equals ``name`` case-insensitively."""

    def list(self) -> builtins.list[Group]:
        """Every group, by name."""

    def insert(self, group: Group) -> None:
        """Add a new group; its id and (normalised) name are not in use."""

    def update(self, group: Group) -> None:
        """Store ``group``'s name, description and updated_at."""

    def delete(self, group_id: str) -> bool:
        """Remove the group, its memberships (as a group and as a member of others) and the
        roles assigned to it; False when there was no such group."""

    def members(self, group_id: str) -> builtins.list[Principal]:
        """The group's direct members, users first."""

    def add_member(self, group_id: str, member: Principal, now: int) -> bool:
        """Add a direct member; False when it was one already (the caller checks that the
        member exists and that no cycle results)."""

    def remove_member(self, group_id: str, member: Principal) -> bool:
        """False when ``member`` was not a direct member."""

    def containing(self, member: Principal) -> frozenset[str]:
        """The ids of every group ``member`` is in, directly or through nested groups (not
        the member itself)."""

    def assign_role(self, assignment: RoleAssignment, now: int) -> bool:
        """False when the role was assigned to that principal already."""

    def unassign_role(self, assignment: RoleAssignment) -> bool:
        """False when there was no such assignment."""

    def role_assignments(
        self, *, api_identifier: str | None = None, principal: Principal | None = None
    ) -> builtins.list[RoleAssignment]:
        """The assignments, of one API and/or one principal when given."""

    def access_of(self, user_id: str, api_identifier: str | None, *, groups: bool) -> PersonAccess:
        """One statement at token issuance: the roles of ``api_identifier`` assigned to the
        user or to any group they are in (transitively; none when ``api_identifier`` is None),
        and, when ``groups``, those groups."""
