"""protocol/account/signin.py: the account page signs in through gatehouse's own
/authorize as its built-in client (state, PKCE, iss checked; the code redeemed like any
client's), and sensitive actions need a sign-in within the tenant's window."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gatehouse.admin.policy import set_policy
from gatehouse.crypto import base64url_sha256
from gatehouse.errors import AccessDenied, InvalidGrant, InvalidRequest
from gatehouse.protocol.account.client import ACCOUNT_CLIENT_ID
from gatehouse.protocol.account.signin import (
    Purpose,
    ReauthenticationRequired,
    SignInRequest,
    finish_sign_in,
    require_recent_sign_in,
    signed_in_recently,
    start_sign_in,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import browser_session
from tests.unit.protocol.conftest import store_code

# -- What the browser keeps -------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["view", "reauthenticate"])
def test_the_request_survives_its_cookie(purpose: Purpose) -> None:
    request = SignInRequest(state="s-1", verifier="v" * 64, purpose=purpose)
    assert request.cookie_value() == f"{purpose}.s-1.{'v' * 64}"
    assert SignInRequest.from_cookie(request.cookie_value()) == request


@pytest.mark.parametrize(
    "value",
    [None, "", "view.state", "view.a.b.c", "delete.state.verifier", "view.s." + "v" * 300],
)
def test_a_cookie_it_did_not_set_is_no_request(value: str | None) -> None:
    assert SignInRequest.from_cookie(value) is None


# -- Starting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "hint", "extra"),
    [
        ("view", "alice", {}),  # a hint only matters to re-authenticate
        ("reauthenticate", None, {"max_age": "0"}),
        ("reauthenticate", "alice", {"max_age": "0", "login_hint": "alice"}),
    ],
)
def test_the_sign_in_is_an_authorization_request_of_the_account_client(
    provider: Provider, purpose: Purpose, hint: str | None, extra: dict[str, str]
) -> None:
    location, request = start_sign_in(provider, purpose, hint)
    url = urlsplit(location)
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/authorize"
    assert params == {
        "response_type": "code",
        "client_id": ACCOUNT_CLIENT_ID,
        "redirect_uri": f"{provider.config.issuer}/account/callback",
        "scope": "openid",
        "state": request.state,
        "code_challenge": base64url_sha256(request.verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    assert request.purpose == purpose
    assert provider.clients.get(ACCOUNT_CLIENT_ID) is not None  # registered on the way
    _, another = start_sign_in(provider, purpose, hint)
    assert (another.state, another.verifier) != (request.state, request.verifier)


# -- Finishing ---------------------------------------------------------------------------------


def _code_for(provider: Provider, alice: User, request: SignInRequest) -> str:
    """The code /authorize issues to the account client for ``request``."""
    client = provider.clients.get(ACCOUNT_CLIENT_ID)
    assert client is not None
    value, _ = store_code(
        provider,
        client,
        alice,
        redirect_uri=f"{provider.config.issuer}/account/callback",
        scopes=("openid",),
        nonce=None,
        code_challenge=base64url_sha256(request.verifier),
    )
    return value


@pytest.mark.parametrize("purpose", ["view", "reauthenticate"])
def test_the_callback_redeems_the_code_and_says_what_the_sign_in_was_for(
    provider: Provider, alice: User, purpose: Purpose
) -> None:
    _, request = start_sign_in(provider, purpose)
    code = _code_for(provider, alice, request)
    answer = Parameters({"code": code, "state": request.state, "iss": provider.config.issuer})
    assert finish_sign_in(provider, request, answer) == purpose
    with pytest.raises(InvalidGrant):  # redeemed: a replayed callback gets nothing
        finish_sign_in(provider, request, answer)


def test_the_callback_needs_the_verifier_the_browser_kept(provider: Provider, alice: User) -> None:
    _, request = start_sign_in(provider, "view")
    code = _code_for(provider, alice, request)
    forged = SignInRequest(request.state, "another-verifier-" + "x" * 40, "view")
    with pytest.raises(InvalidGrant):
        finish_sign_in(provider, forged, Parameters({"code": code, "state": request.state}))


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("no request kept", InvalidRequest, "not started in this browser"),
        ("another state", InvalidRequest, "not started in this browser"),
        ("no state", InvalidRequest, "not started in this browser"),
        ("another issuer", InvalidRequest, "came from another server"),
        ("cancelled", AccessDenied, "you did not sign in"),
        ("no code", InvalidRequest, "code"),
    ],
)
def test_the_callback_refuses_an_answer_that_is_not_this_browsers(
    provider: Provider, alice: User, case: str, error: type[Exception], message: str
) -> None:
    _, request = start_sign_in(provider, "view")
    code = _code_for(provider, alice, request)
    values = {"code": code, "state": request.state, "iss": provider.config.issuer}
    kept: SignInRequest | None = request
    if case == "no request kept":
        kept = None
    elif case == "another state":
        values["state"] = "s" + request.state
    elif case == "no state":
        del values["state"]
    elif case == "another issuer":
        values["iss"] = "https://evil.example.com"
    elif case == "cancelled":
        values = {"error": "access_denied", "state": request.state}
    elif case == "no code":
        del values["code"]
    with pytest.raises(error, match=message):
        finish_sign_in(provider, kept, Parameters(values))
    # Whatever was refused, the code was not spent: the browser's own answer still works.
    good = Parameters({"code": code, "state": request.state})
    assert finish_sign_in(provider, request, good) == "view"


# -- How recent a sign-in must be ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "age", "recent"),
    [(None, 0, True), (None, 300, True), (None, 301, False), ("600", 599, True), ("60", 61, False)],
)
def test_a_sensitive_action_needs_a_sign_in_within_the_window(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    window: str | None,
    age: int,
    recent: bool,
) -> None:
    if window is not None:
        set_policy(runtime, (f"reauthentication_window={window}",), ())
    _, session = browser_session(provider, alice)
    clock.advance(age)
    assert signed_in_recently(provider, session) is recent
    if recent:
        require_recent_sign_in(provider, session)
    else:
        with pytest.raises(ReauthenticationRequired):
            require_recent_sign_in(provider, session)
