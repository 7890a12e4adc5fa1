"""protocol.authorization: the request as stored in an interaction, and the responses at the
client's redirect URI (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207)."""

from __future__ import annotations

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import AccessDenied, ClientRedirect, InvalidRequest
from gatehouse.protocol.authorization import AuthorizationRequest
from gatehouse.protocol.authorization_response import issue_response
from gatehouse.protocol.response_modes import error_location, response_location
from gatehouse.runtime import Runtime
from tests.support.factories import REDIRECT_URI, make_client, make_user
from tests.support.flow import query_of
from tests.unit.protocol.sessions import signed_in

ISSUER = "https://id.example.com"
REQUEST = AuthorizationRequest(
    client_id="web",
    redirect_uri=REDIRECT_URI,
    scopes=("openid", "email"),
    state="st",
    nonce="n",
    code_challenge="c" * 43,
    prompt=("login",),
    max_age=60,
    login_hint="alice",
    resources=("https://orders.example.com",),
    id_token_hint_sub="u1",
)


def test_a_request_survives_its_round_trip_through_storage() -> None:
    assert AuthorizationRequest.from_dict(REQUEST.to_dict()) == REQUEST


def test_a_request_stored_before_resource_indicators_still_loads() -> None:
    stored = REQUEST.to_dict()
    del stored["resources"]
    assert AuthorizationRequest.from_dict(stored).resources == ()


@pytest.mark.parametrize(
    ("redirect_uri", "state", "params", "expected"),
    [
        (REDIRECT_URI, "st", {"code": "c1"}, {"code": "c1", "state": "st", "iss": ISSUER}),
        (REDIRECT_URI, None, {"code": "c1"}, {"code": "c1", "iss": ISSUER}),
        # RFC 6749 §3.1.2: a query the redirect URI already has is kept.
        (
            f"{REDIRECT_URI}?tenant=a",
            "s",
            {"code": "c"},
            {"tenant": "a", "code": "c", "state": "s"},
        ),
    ],
)
def test_response_location(
    redirect_uri: str, state: str | None, params: dict[str, str], expected: dict[str, str]
) -> None:
    location = response_location(ISSUER, ClientRedirect(redirect_uri, state), params)
    assert location.startswith(redirect_uri.split("?")[0] + "?")
    assert expected.items() <= query_of(location).items()
    assert ("state" in query_of(location)) == (state is not None)


def test_an_error_addressed_to_the_client_carries_error_state_and_iss() -> None:
    error = REQUEST.refuse(AccessDenied("the user declined"))
    assert query_of(error_location(ISSUER, error)) == {
        "error": "access_denied",
        "error_description": "the user declined",
        "state": "st",
        "iss": ISSUER,
    }


def test_an_error_not_addressed_to_the_client_has_no_location() -> None:
    with pytest.raises(ValueError, match="stays at gatehouse"):
        error_location(ISSUER, InvalidRequest("no client"))


def test_issue_response_stores_only_the_codes_hash_bound_to_the_request(runtime: Runtime) -> None:
    make_client(runtime)
    make_user(runtime)
    browser = signed_in(runtime, "alice")
    client = runtime.provider.clients.get("web")
    assert client is not None and browser.user is not None and browser.session is not None
    redirect = issue_response(runtime.provider, client, REQUEST, browser.user, browser.session)
    params = query_of(redirect.location)
    assert (params["state"], params["iss"]) == ("st", runtime.provider.config.issuer)
    stored = runtime.provider.codes.get(sha256_digest(params["code"]))
    assert stored is not None
    assert (stored.client_id, stored.user_id) == ("web", browser.user.id)
    assert stored.sid == browser.session.sid
    assert (stored.redirect_uri, stored.scopes, stored.nonce) == (REDIRECT_URI, REQUEST.scopes, "n")
    assert (stored.code_challenge, stored.resources) == (REQUEST.code_challenge, REQUEST.resources)
    lifetime = runtime.provider.config.authorization_code_lifetime
    assert stored.expires_at - stored.created_at == lifetime
