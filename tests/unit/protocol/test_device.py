"""protocol.device: user codes (RFC 8628 §6.1) and the device authorization endpoint
(§3.1, §3.2), against real storage."""

from __future__ import annotations

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import (
    InvalidClient,
    InvalidScope,
    InvalidTarget,
    OAuthError,
    UnauthorizedClient,
)
from gatehouse.protocol.device import (
    DEVICE_CODE_GRANT,
    USER_CODE_ALPHABET,
    device_authorization,
    grouped,
    new_user_code,
    normalized_user_code,
    user_code_hash,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from tests.support.factories import ORDERS_API, make_api
from tests.unit.protocol.conftest import Registered, params, register


def test_user_codes_are_eight_unambiguous_consonants() -> None:
    codes = {new_user_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 8 and set(code) <= set(USER_CODE_ALPHABET)
    assert not set("AEIOUY01") & set(USER_CODE_ALPHABET)
    assert grouped("BCDFGHJK") == "BCDF-GHJK"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("BCDF-GHJK", "BCDFGHJK"),
        ("bcdf-ghjk", "BCDFGHJK"),
        (" bcdf ghjk ", "BCDFGHJK"),
        ("BCDFGHJK", "BCDFGHJK"),
        ("B-C-D-F-G-H-J-K", "BCDFGHJK"),
        ("BCDF-GHJ", None),  # too short
        ("BCDF-GHJKL", None),  # too long
        ("BCDF-GHJ0", None),  # a digit
        ("ACDF-GHJK", None),  # a vowel
        ("BCDF_GHJK", None),
        ("", None),
        (None, None),
        ("B" * 100, None),
    ],
)
def test_what_a_person_types_is_normalized(typed: str | None, code: str | None) -> None:
    assert normalized_user_code(typed) == code


@pytest.fixture
def tv(runtime: Runtime) -> Registered:
    return register(
        runtime,
        "tv",
        client_type="public",
        grant_types=[DEVICE_CODE_GRANT],
        redirect_uris=[],
        scopes=["openid", "profile"],
    )


def test_the_request_is_stored_with_hashes_only(provider: Provider, tv: Registered) -> None:
    response = device_authorization(
        provider, params(client_id="tv", scope="openid profile"), None, address="192.0.2.1"
    )
    stored = provider.device_authorizations.by_device_code(sha256_digest(response.device_code))
    assert stored is not None
    code = normalized_user_code(response.user_code)
    assert code is not None and stored.user_code_hash == user_code_hash(code)
    assert (stored.client_id, stored.scopes, stored.status) == (
        "tv",
        ("openid", "profile"),
        "pending",
    )
    assert stored.expires_at - stored.created_at == provider.config.device_code_lifetime
    assert stored.poll_interval == provider.config.device_poll_interval == response.interval
    assert response.verification_uri_complete.endswith(f"/device?user_code={response.user_code}")


def test_resources_and_api_scopes_are_checked_as_at_authorize(
    runtime: Runtime, provider: Provider
) -> None:
    make_api(runtime)
    register(
        runtime,
        "tv",
        client_type="public",
        grant_types=[DEVICE_CODE_GRANT],
        redirect_uris=[],
        scopes=["openid", f"{ORDERS_API}/orders.read"],
    )
    response = device_authorization(
        provider,
        params(client_id="tv", scope="openid orders.read", resource=ORDERS_API),
        None,
        address=None,
    )
    stored = provider.device_authorizations.by_device_code(sha256_digest(response.device_code))
    assert stored is not None
    assert stored.scopes == ("openid", f"{ORDERS_API}/orders.read")
    assert stored.resources == (ORDERS_API,)


@pytest.mark.parametrize(
    ("values", "error", "fragment"),
    [
        ({"client_id": "tv", "scope": "openid email"}, InvalidScope, "may not request email"),
        ({"client_id": "tv"}, InvalidScope, "scope parameter is required"),
        (
            {"client_id": "tv", "scope": "openid", "resource": "urn:x"},
            InvalidTarget,
            "not a registered",
        ),
        ({"client_id": "nobody", "scope": "openid"}, InvalidClient, "unknown client"),
        ({"client_id": "web", "scope": "openid"}, UnauthorizedClient, "device flow"),
    ],
)
def test_refusals(
    provider: Provider,
    tv: Registered,
    web: Registered,
    values: dict[str, str],
    error: type[OAuthError],
    fragment: str,
) -> None:
    authorization = web.basic if values.get("client_id") == "web" else None
    if authorization is not None:
        values = {k: v for k, v in values.items() if k != "client_id"}
    with pytest.raises(error, match=fragment):
        device_authorization(provider, params(**values), authorization, address=None)
