"""The group repository on SQLite and PostgreSQL: nested membership read transitively by one
statement, cycles that cannot make it loop, role assignments, and what deleting a user, a
group, an API or one of its roles leaves behind."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import pytest

from gatehouse.admin.users import delete_user
from gatehouse.runtime import Runtime
from gatehouse.storage.groups import Group, GroupRef, Principal, RoleAssignment
from gatehouse.storage.sql.groups import SqlGroupRepository
from tests.support.factories import ORDERS_API, make_api, make_user

NOW = 1_800_000_000


@pytest.fixture
def groups(runtime: Runtime) -> SqlGroupRepository:
    repository = runtime.store.groups
    assert isinstance(repository, SqlGroupRepository)
    return repository


def _group(groups: SqlGroupRepository, name: str) -> str:
    group = Group(str(uuid.uuid4()), name, None, NOW, NOW)
    groups.insert(group)
    return group.id


def _within(groups: SqlGroupRepository, parent: str, child: str) -> None:
    assert groups.add_member(parent, Principal("group", child), NOW)


def test_membership_is_read_through_every_level_of_nesting(
    groups: SqlGroupRepository, alice: str
) -> None:
    company, engineering, frontend, other = (
        _group(groups, n) for n in ("company", "engineering", "frontend", "other")
    )
    _within(groups, company, engineering)
    _within(groups, engineering, frontend)
    assert groups.add_member(frontend, Principal("user", alice), NOW)

    access = groups.access_of(alice, None, groups=True)
    assert access.groups == (
        GroupRef(company, "company"),
        GroupRef(engineering, "engineering"),
        GroupRef(frontend, "frontend"),
    )
    assert other not in {g.id for g in access.groups}
    assert access.roles == frozenset()
    assert groups.containing(Principal("group", frontend)) == {engineering, company}
    assert groups.containing(Principal("user", alice)) == {frontend, engineering, company}


def test_without_groups_asked_for_only_roles_come_back(
    runtime: Runtime, groups: SqlGroupRepository, alice: str
) -> None:
    make_api(runtime, ORDERS_API, roles=("orders.admin", "orders.export", "orders.audit"))
    team = _group(groups, "team")
    groups.add_member(team, Principal("user", alice), NOW)
    groups.assign_role(RoleAssignment(ORDERS_API, "orders.admin", Principal("group", team)), NOW)
    groups.assign_role(RoleAssignment(ORDERS_API, "orders.export", Principal("user", alice)), NOW)
    bob = str(make_user(runtime, "bob")["id"])
    groups.assign_role(RoleAssignment(ORDERS_API, "orders.audit", Principal("user", bob)), NOW)

    access = groups.access_of(alice, ORDERS_API, groups=False)
    assert access.roles == {"orders.admin", "orders.export"}
    assert access.groups == ()
    assert groups.access_of(alice, "https://other.example.com", groups=True).roles == set()


def test_a_cycle_written_behind_the_admin_checks_still_ends(
    groups: SqlGroupRepository, alice: str
) -> None:
    """Two operators racing could each add half of a cycle: the reading stops at groups it
    has already seen instead of looping."""
    a, b = _group(groups, "a"), _group(groups, "b")
    _within(groups, a, b)
    _within(groups, b, a)
    groups.add_member(a, Principal("user", alice), NOW)
    assert {g.name for g in groups.access_of(alice, None, groups=True).groups} == {"a", "b"}
    assert groups.containing(Principal("group", a)) == {a, b}


def test_adding_a_member_twice_says_so(groups: SqlGroupRepository, alice: str) -> None:
    team = _group(groups, "team")
    assert groups.add_member(team, Principal("user", alice), NOW)
    assert not groups.add_member(team, Principal("user", alice), NOW)
    assert groups.members(team) == [Principal("user", alice)]
    assert groups.remove_member(team, Principal("user", alice))
    assert not groups.remove_member(team, Principal("user", alice))


def test_names_are_found_case_insensitively(groups: SqlGroupRepository) -> None:
    team = _group(groups, "Team Blue")
    found = groups.find_by_name("team blue")
    assert found is not None and found.id == team


def test_deleting_a_user_forgets_their_memberships_and_roles(
    runtime: Runtime, groups: SqlGroupRepository, alice: str
) -> None:
    make_api(runtime, ORDERS_API)
    team = _group(groups, "team")
    groups.add_member(team, Principal("user", alice), NOW)
    groups.assign_role(RoleAssignment(ORDERS_API, "orders.admin", Principal("user", alice)), NOW)
    delete_user(runtime, alice)
    assert groups.members(team) == []
    assert groups.role_assignments() == []


def test_deleting_a_group_forgets_it_everywhere(
    runtime: Runtime, groups: SqlGroupRepository, alice: str
) -> None:
    make_api(runtime, ORDERS_API)
    outer, team = _group(groups, "outer"), _group(groups, "team")
    _within(groups, outer, team)
    groups.add_member(team, Principal("user", alice), NOW)
    groups.assign_role(RoleAssignment(ORDERS_API, "orders.admin", Principal("group", team)), NOW)
    assert groups.delete(team)
    assert not groups.delete(team)
    assert groups.members(outer) == []
    assert groups.role_assignments() == []
    assert groups.access_of(alice, ORDERS_API, groups=True).groups == ()


def test_a_role_the_api_drops_or_the_api_itself_takes_the_assignments_with_it(
    runtime: Runtime, groups: SqlGroupRepository, alice: str
) -> None:
    make_api(runtime, ORDERS_API)
    for role in ("orders.admin", "orders.export"):
        groups.assign_role(RoleAssignment(ORDERS_API, role, Principal("user", alice)), NOW)
    api = runtime.store.apis.get(ORDERS_API)
    assert api is not None
    runtime.store.apis.save(replace(api, roles=api.roles[1:]), int(time.time()))
    assert [a.role for a in groups.role_assignments()] == [api.roles[1].name]
    runtime.store.apis.delete(ORDERS_API)
    assert groups.role_assignments() == []
