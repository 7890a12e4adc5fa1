"""protocol.revocation: what each kind of token revokes, and the silence about everything
else (RFC 7009 §2.1, §2.2)."""

from __future__ import annotations

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidClient, InvalidToken
from gatehouse.protocol.liveness import live_access_token
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.revocation import revoke
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.unit.protocol.conftest import Registered, issue, params, register


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_an_access_token_goes_on_the_deny_list(
    provider: Provider, web: Registered, alice: User, hint: str | None
) -> None:
    token = issue(provider, web.client, alice).access_token
    extra = {"token_type_hint": hint} if hint else {}
    revoke(provider, params(token=token, **extra), web.basic)
    with pytest.raises(InvalidToken, match="revoked"):
        live_access_token(provider, token, audience=None)


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_a_refresh_token_revokes_its_family(
    provider: Provider, web: Registered, alice: User, hint: str | None
) -> None:
    tokens = issue(provider, web.client, alice)
    assert tokens.refresh_token is not None
    extra = {"token_type_hint": hint} if hint else {}
    revoke(provider, params(token=tokens.refresh_token, **extra), web.basic)
    state = provider.refresh_tokens.get_state(sha256_digest(tokens.refresh_token))
    assert state is not None and state.family_revoked
    with pytest.raises(InvalidToken, match="revoked"):  # the access token of the family too
        live_access_token(provider, tokens.access_token, audience=None)


def test_another_clients_tokens_are_left_alone_without_a_word(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    tokens = issue(provider, web.client, alice)
    other = register(runtime, "other")
    for token in (tokens.access_token, tokens.refresh_token or "", "unknown", "a.b.c"):
        revoke(provider, params(token=token), other.basic)  # 200 all the same: no exception
    assert live_access_token(provider, tokens.access_token, audience=None).user is not None
    state = provider.refresh_tokens.get_state(sha256_digest(tokens.refresh_token or ""))
    assert state is not None and not state.family_revoked


def test_the_client_must_authenticate(provider: Provider, web: Registered) -> None:
    with pytest.raises(InvalidClient):
        revoke(provider, params(token="x", client_id="web"), None)
