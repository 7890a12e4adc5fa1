"""The groups and app_role_assignments sections of `gatehouse apply`: created in one run,
nested groups named before they are defined, idempotent, never removing, and an error that
names the entry (a cycle, an unknown member) rolls the whole file back."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Gatehouse
from tests.cli.test_apply import actions, write

ORDERS = "https://orders.example.com"

CONFIG = f"""\
apis:
  - identifier: {ORDERS}
    app_roles:
      Orders.Approve: Approve orders
users:
  - username: alice
  - username: bob
groups:
  - name: engineering
    description: Everyone who builds the shop
    users: [bob]
    groups: [frontend]
  - name: frontend
    users: [alice]
app_role_assignments:
  - api: {ORDERS}
    role: Orders.Approve
    group: engineering
  - api: {ORDERS}
    role: Orders.Approve
    user: alice
"""


def test_groups_and_assignments_apply_once(gh: Gatehouse, tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    first = actions(gh.ok("apply", path))
    assert first[("group", "engineering")] == "created"
    assert first[("group", "frontend")] == "created"
    assert first[("app_role_assignment", f"{ORDERS} Orders.Approve group engineering")] == (
        "created"
    )
    shown = gh.ok("group", "show", "engineering")
    assert [m.get("user") or m.get("group") for m in shown["members"]] == ["bob", "frontend"]
    assert shown["app_roles"] == [{"api": ORDERS, "role": "Orders.Approve"}]

    again = gh.ok("apply", path)
    assert again["changed"] == 0

    # A member added by hand stays; a new one in the file is added.
    gh.ok("group", "add-member", "frontend", "--user", "bob")
    more = write(tmp_path, CONFIG.replace("users: [bob]", "users: [bob, alice]"), "more.yaml")
    change = next(c for c in gh.ok("apply", more)["changes"] if c["id"] == "engineering")
    assert change == {
        "kind": "group",
        "id": "engineering",
        "action": "updated",
        "fields": ["members"],
    }
    assert len(gh.ok("group", "show", "frontend")["members"]) == 2


def test_a_cycle_in_the_file_names_the_entry_and_changes_nothing(
    gh: Gatehouse, tmp_path: Path
) -> None:
    cyclic = CONFIG.replace(
        "    users: [alice]\n", "    users: [alice]\n    groups: [engineering]\n"
    )
    message = gh.fails("apply", write(tmp_path, cyclic))
    assert "groups[1] (name 'frontend')" in message and "would make a cycle" in message
    assert gh.ok("group", "list") == []


def test_an_unknown_member_or_a_duplicate_group_is_an_error(gh: Gatehouse, tmp_path: Path) -> None:
    unknown = CONFIG.replace("users: [bob]", "users: [mallory]")
    assert "no user 'mallory'" in gh.fails("apply", write(tmp_path, unknown))
    twice = CONFIG.replace("  - name: frontend", "  - name: Engineering")
    assert "appears more than once" in gh.fails("apply", write(tmp_path, twice, "twice.yaml"))
