"""`gatehouse scope …`: custom scopes."""

from __future__ import annotations

import pytest

from gatehouse.protocol.scopes import STANDARD_SCOPES
from tests.cli.conftest import Gatehouse


def test_create_list_delete(gh: Gatehouse) -> None:
    created = gh.ok("scope", "create", "orders.read", "--description", "Read your orders")
    assert created == {"name": "orders.read", "description": "Read your orders"}
    listed = gh.ok("scope", "list")
    standard = [s for s in listed if s["standard"]]
    assert [s["name"] for s in standard] == list(STANDARD_SCOPES)
    assert [s for s in listed if not s["standard"]] == [
        {"name": "orders.read", "description": "Read your orders", "standard": False}
    ]
    assert gh.ok("scope", "delete", "orders.read") == {"deleted": "orders.read"}
    assert all(s["standard"] for s in gh.ok("scope", "list"))


def test_create_again_updates_the_description(gh: Gatehouse) -> None:
    gh.ok("scope", "create", "orders.read", "--description", "Read your orders")
    gh.ok("scope", "create", "orders.read", "--description", "See your orders")
    custom = [s for s in gh.ok("scope", "list") if not s["standard"]]
    assert custom == [{"name": "orders.read", "description": "See your orders", "standard": False}]


def test_a_client_may_use_a_created_scope(gh: Gatehouse) -> None:
    gh.ok("scope", "create", "orders.read", "--description", "Read your orders")
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        "https://app.example.com/cb",
        "--scope",
        "openid orders.read",
    )
    assert created["scope"] == "openid orders.read"
    # A scope in use cannot be deleted out from under the client.
    assert "still allowed for client(s): web" in gh.fails("scope", "delete", "orders.read")


@pytest.mark.parametrize(
    ("name", "description", "message"),
    [
        ("openid", "x", "standard OpenID scope"),
        ("profile", "x", "standard OpenID scope"),
        ("has space", "x", "printable ASCII"),
        ('quo"te', "x", "printable ASCII"),
        ("back\\slash", "x", "printable ASCII"),
        ("caf\u00e9", "x", "printable ASCII"),
        ("orders.read", "   ", "a description is required"),
        ("orders.read", "d" * 1025, "at most 1024"),
    ],
)
def test_invalid_scopes(gh: Gatehouse, name: str, description: str, message: str) -> None:
    assert message in gh.fails("scope", "create", name, "--description", description)
    assert all(s["standard"] for s in gh.ok("scope", "list"))


def test_deleting_an_unknown_scope(gh: Gatehouse) -> None:
    assert gh.fails("scope", "delete", "nope") == "error: no custom scope 'nope'"
