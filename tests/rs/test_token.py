"""Authorization with a validated token: delegated scopes and application roles."""

from __future__ import annotations

import pytest

from gatehouse.rs import (
    AccessToken,
    InsufficientScope,
    require_delegated,
    require_roles,
    require_scopes,
)
from tests.rs.issuer import claims_for

USER = AccessToken(claims_for("https://id.example.com", scope="openid orders.read"))
APP = AccessToken(
    claims_for("https://id.example.com", scope=None, roles=["Orders.ReadAll", "Orders.Write"])
)


@pytest.mark.parametrize(
    ("token", "scopes", "description", "scope_attribute"),
    [
        (USER, ["orders.write"], "missing scope orders.write", ("orders.write",)),
        (
            USER,
            ["orders.read", "orders.write", "orders.delete"],
            "missing scopes orders.write orders.delete",
            ("orders.read", "orders.write", "orders.delete"),
        ),
        (APP, ["orders.read"], "missing scope orders.read", ("orders.read",)),
    ],
)
def test_missing_scopes_are_insufficient_scope(
    token: AccessToken, scopes: list[str], description: str, scope_attribute: tuple[str, ...]
) -> None:
    with pytest.raises(InsufficientScope) as caught:
        token.require_scopes(*scopes)
    error = caught.value
    assert (error.error, error.status_code) == ("insufficient_scope", 403)
    assert error.description == description
    assert error.scope == scope_attribute  # RFC 6750 §3: the scope the resource needs


def test_granted_scopes_pass() -> None:
    assert USER.require_scopes("orders.read") is USER
    assert require_scopes(USER, ["openid", "orders.read"]) is USER
    assert USER.require_scopes() is USER
    assert USER.has_scopes("orders.read") and not USER.has_scopes("orders.write")


def test_a_scope_is_a_whole_word() -> None:
    token = AccessToken(claims_for("https://i", scope="orders.read.all"))
    with pytest.raises(InsufficientScope):
        token.require_scopes("orders.read")


@pytest.mark.parametrize(
    ("token", "roles", "description"),
    [
        (APP, ["Orders.Admin"], "missing app role Orders.Admin"),
        (APP, ["Orders.ReadAll", "A", "B"], "missing app roles A B"),
        (USER, ["Orders.ReadAll"], "missing app role Orders.ReadAll"),
    ],
)
def test_missing_roles_are_insufficient_scope(
    token: AccessToken, roles: list[str], description: str
) -> None:
    with pytest.raises(InsufficientScope) as caught:
        token.require_roles(*roles)
    assert caught.value.description == description
    assert caught.value.scope == ()  # roles are not scopes: no scope attribute


def test_granted_roles_pass() -> None:
    assert require_roles(APP, ["Orders.ReadAll"]) is APP
    assert APP.has_roles("Orders.ReadAll", "Orders.Write")
    assert APP.scopes == frozenset()
    assert USER.roles == frozenset()


def test_claims_are_read_only() -> None:
    with pytest.raises(TypeError):
        USER.claims["scope"] = "everything"  # type: ignore[index]
    assert repr(USER).startswith("AccessToken(sub='user-123', client_id='web-app'")


def test_a_persons_token_is_delegated_and_a_clients_own_is_not() -> None:
    """RFC 9068 §2.2: a token with no resource owner has the client as its sub."""
    person = AccessToken(claims_for("https://id.example.com", roles=["Orders.Approve"]))
    daemon = AccessToken(
        claims_for(
            "https://id.example.com", sub="daemon", client_id="daemon", roles=["Orders.Approve"]
        )
    )
    assert person.is_delegated and person.require_delegated() is person
    assert require_delegated(person.require_roles("Orders.Approve")) is person
    assert not daemon.is_delegated
    with pytest.raises(InsufficientScope, match="acts for a signed-in person"):
        require_delegated(daemon)
