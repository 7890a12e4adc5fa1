"""protocol/account/client.py: the account page's own client, built in and kept current."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.protocol.account.client import (
    ACCOUNT_CLIENT_ID,
    account_client,
    ensure_account_client,
    is_builtin,
)
from gatehouse.protocol.provider import Provider
from tests.support.flow import FakeClock


@pytest.mark.parametrize(
    ("client_id", "builtin"),
    [("gatehouse-account", True), ("web", False), ("Gatehouse-Account", False), ("", False)],
)
def test_only_gatehouses_own_client_ids_are_builtin(client_id: str, builtin: bool) -> None:
    assert is_builtin(client_id) is builtin


def test_the_registration_is_a_public_first_party_pkce_client_of_the_issuer() -> None:
    client = account_client("https://id.example.com/tenant", 1_800_000_000)
    assert (client.client_id, client.client_type, client.auth_method) == (
        ACCOUNT_CLIENT_ID,
        "public",
        "none",
    )
    assert client.redirect_uris == ("https://id.example.com/tenant/account/callback",)
    assert (client.grant_types, client.allowed_scopes) == (("authorization_code",), ("openid",))
    assert client.first_party and client.post_logout_redirect_uris == ()
    assert (client.created_at, client.updated_at) == (1_800_000_000, 1_800_000_000)


def test_it_is_registered_when_missing_and_left_alone_when_current(
    provider: Provider, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert provider.clients.get(ACCOUNT_CLIENT_ID) is None
    ensure_account_client(provider)
    stored = provider.clients.get(ACCOUNT_CLIENT_ID)
    assert stored is not None
    assert stored.redirect_uris == (f"{provider.config.issuer}/account/callback",)
    writes: list[str] = []
    monkeypatch.setattr(
        provider.clients, "register_builtin", lambda client: writes.append(client.client_id)
    )
    clock.advance(60)  # only the bookkeeping times differ
    ensure_account_client(provider)
    assert writes == []


def test_a_registration_for_another_issuer_is_brought_up_to_date(
    provider: Provider, clock: FakeClock
) -> None:
    old = account_client("https://old.example.com", clock.now - 100)
    provider.clients.register_builtin(replace(old, first_party=False))
    wanted = ensure_account_client(provider)
    stored = provider.clients.get(ACCOUNT_CLIENT_ID)
    assert stored is not None
    assert (
        stored.redirect_uris
        == wanted.redirect_uris
        == (f"{provider.config.issuer}/account/callback",)
    )
    assert stored.first_party
