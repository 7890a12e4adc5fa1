"""`gatehouse group` and `gatehouse grant|revoke app-role --user|--group`: JSON out, the audit
trail, and a clear error line for every bad input (unknown user, group, API or role,
duplicates, cycles, oversized or malformed names), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import Gatehouse

ORDERS = "https://orders.example.com"


@pytest.fixture
def setup(gh: Gatehouse) -> dict[str, Any]:
    gh.ok("user", "create", "--username", "alice", "--password", "correct horse battery 7")
    gh.ok("api", "create", "--identifier", ORDERS, "--app-role", "Orders.Approve=Approve orders")
    gh.ok("client", "create", "--client-id", "daemon", "--grant-type", "client_credentials")
    return {
        "engineering": gh.ok("group", "create", "--name", "engineering", "--description", "Eng"),
        "frontend": gh.ok("group", "create", "--name", "frontend"),
    }


def test_groups_are_created_listed_shown_updated_and_deleted(
    gh: Gatehouse, setup: dict[str, Any]
) -> None:
    engineering = setup["engineering"]
    assert engineering["name"] == "engineering" and engineering["description"] == "Eng"
    assert [g["name"] for g in gh.ok("group", "list")] == ["engineering", "frontend"]

    gh.ok("group", "add-member", "engineering", "--group", "frontend")
    added = gh.ok("group", "add-member", "engineering", "--user", "alice")
    assert added["member"]["user"] == "alice" and added["member_of"] is True
    shown = gh.ok("group", "show", engineering["id"])
    assert [m.get("user") or m.get("group") for m in shown["members"]] == ["alice", "frontend"]

    renamed = gh.ok("group", "update", "engineering", "--name", "Engineering", "--description", "")
    assert renamed["name"] == "Engineering" and renamed["description"] is None
    gone = gh.ok("group", "remove-member", "Engineering", "--user", "alice")
    assert gone["member_of"] is False
    assert gh.ok("group", "delete", "frontend")["name"] == "frontend"
    assert gh.ok("group", "show", "engineering")["members"] == []

    events = [e["type"] for e in gh.ok("audit", "list", "--type", "admin.group")]
    assert events.count("admin.group.member_added") == 2
    assert {"admin.group.created", "admin.group.updated", "admin.group.deleted"} <= set(events)
    assert "admin.group.member_removed" in events


def test_user_show_lists_the_groups_a_person_is_in(gh: Gatehouse, setup: dict[str, Any]) -> None:
    gh.ok("group", "create", "--name", "sales")
    gh.ok("group", "add-member", "engineering", "--group", "frontend")
    gh.ok("group", "add-member", "frontend", "--user", "alice")
    shown = gh.ok("user", "show", "alice")
    # Directly in frontend, and in engineering through it; not in sales.
    assert shown["groups"] == [
        {"id": setup["engineering"]["id"], "name": "engineering", "direct": False},
        {"id": setup["frontend"]["id"], "name": "frontend", "direct": True},
    ]


def test_app_roles_are_assigned_to_people_and_groups(gh: Gatehouse, setup: dict[str, Any]) -> None:
    role = ("--api", ORDERS, "--role", "Orders.Approve")
    to_group = gh.ok("grant", "app-role", *role, "--group", "engineering")
    assert to_group == {
        "group": "engineering",
        "group_id": setup["engineering"]["id"],
        "api": ORDERS,
        "role": "Orders.Approve",
        "assigned": True,
    }
    gh.ok("grant", "app-role", *role, "--user", "alice")
    gh.ok("grant", "app-role", *role, "--client", "daemon")

    listed = gh.ok("grant", "list")
    assert [next(k for k in ("client_id", "group", "user") if k in g) for g in listed] == [
        "client_id",
        "group",
        "user",
    ]
    assert gh.ok("grant", "list", "--user", "alice")[0]["user"] == "alice"
    assert gh.ok("group", "show", "engineering")["app_roles"] == [
        {"api": ORDERS, "role": "Orders.Approve"}
    ]

    assert gh.ok("revoke", "app-role", *role, "--user", "alice")["assigned"] is False
    assert gh.ok("grant", "list", "--user", "alice") == []
    types = [e["type"] for e in gh.ok("audit", "list", "--type", "admin.role")]
    assert types.count("admin.role.assigned") == 2 and "admin.role.unassigned" in types


APPROVE = f"--api {ORDERS} --role Orders.Approve"
BAD_INPUT: list[tuple[tuple[str, ...], str]] = [
    (("group", "create", "--name", "x" * 256), "1-255 characters"),
    (("group", "create", "--name", " padded"), "spaces at either end"),
    (("group", "create", "--name", "tab\there"), "control characters"),
    (("group", "create", "--name", "ok", "--description", "d" * 1025), "at most 1024"),
    *(
        (tuple(line.split()), message)
        for line, message in [
            ("group create --name Engineering", "already exists"),
            ("group create --name 0b6f7a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "look like"),
            ("group show nobody", "no group 'nobody'"),
            ("group update frontend --name engineering", "already exists"),
            ("group delete nobody", "no group"),
            ("group add-member engineering --user mallory", "no user 'mallory'"),
            ("group add-member engineering --group nobody", "no group 'nobody'"),
            ("group add-member engineering", "either a user"),
            ("group add-member engineering --user alice --group frontend", "either"),
            ("group add-member engineering --group engineering", "member of itself"),
            ("group remove-member engineering --user alice", "not a member"),
            (f"grant app-role {APPROVE}", "one of --client"),
            (f"grant app-role {APPROVE} --user alice --client daemon", "one of --client"),
            (f"grant app-role --api {ORDERS} --role Nope --user alice", "no app role"),
            ("grant app-role --api https://x.example.com --role R --user alice", "no API"),
            (f"grant app-role {APPROVE} --group x", "no group"),
            (f"revoke app-role {APPROVE} --user alice", "has no"),
            ("client update daemon --groups-claim emails", "Invalid value"),
        ]
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_gets_one_clear_error_line(
    gh: Gatehouse, setup: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    if args[-1] == "emails":  # click's own usage error, exit status 2
        result = gh(*args)
        assert result.exit_code == 2 and message in result.stderr
        return
    assert message in gh.fails(*args)


def test_duplicates_and_cycles_are_refused(gh: Gatehouse, setup: dict[str, Any]) -> None:
    gh.ok("group", "create", "--name", "company")
    gh.ok("group", "add-member", "company", "--group", "engineering")
    gh.ok("group", "add-member", "engineering", "--group", "frontend")
    gh.ok("group", "add-member", "frontend", "--user", "alice")

    assert "would make a cycle" in gh.fails("group", "add-member", "frontend", "--group", "company")
    assert "already a member" in gh.fails("group", "add-member", "frontend", "--user", "alice")
    role = ("--api", ORDERS, "--role", "Orders.Approve", "--group", "frontend")
    gh.ok("grant", "app-role", *role)
    assert "already has the app role" in gh.fails("grant", "app-role", *role)


def test_a_client_opts_into_the_groups_claim(gh: Gatehouse, setup: dict[str, Any]) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", "https://app.example.com/cb",
        "--groups-claim", "names",
    )  # fmt: skip
    assert created["groups_claim"] == "names"
    assert gh.ok("client", "update", "web", "--groups-claim", "ids")["groups_claim"] == "ids"
    assert gh.ok("client", "show", "web")["groups_claim"] == "ids"
    assert gh.ok("client", "update", "web", "--groups-claim", "none")["groups_claim"] == "none"
