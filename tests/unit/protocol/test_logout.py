"""protocol.logout: which client a sign-out request is for, where the browser may go back to,
and which SSO session it ends (OpenID Connect RP-Initiated Logout 1.0 §2, §3)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.interaction import browser_state
from gatehouse.protocol.logout import LogoutRequest, end_session, validate_logout
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import make_user
from tests.unit.protocol.conftest import issue, params, register, start_sso
from tests.unit.protocol.sessions import sign_in_cookie

BACK = "https://app.example.com/signed-out"


@pytest.fixture
def hint(runtime: Runtime, provider: Provider, alice: User) -> str:
    app = register(runtime, "app", post_logout_redirect_uris=[BACK])
    id_token = issue(
        provider, app.client, alice, ("openid",), sid=start_sso(provider, alice)
    ).id_token
    assert id_token is not None
    return id_token


def test_the_hint_names_the_client_and_the_session(provider: Provider, hint: str) -> None:
    request = validate_logout(
        provider, params(id_token_hint=hint, post_logout_redirect_uri=BACK, state="s 1")
    )
    assert request.client is not None and request.client.client_id == "app"
    assert request.hint_sid is not None
    assert request.redirect_location() == f"{BACK}?state=s+1"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"id_token_hint": "not-a-token"}, "not an ID token issued by this server"),
        ({"client_id": "nobody"}, "no application is registered"),
        ({"post_logout_redirect_uri": BACK}, "needs client_id or id_token_hint"),
        ({"client_id": "app", "post_logout_redirect_uri": BACK + "/x"}, "is not registered"),
        ({"client_id": "other", "use_hint": "yes"}, "does not match the audience"),
    ],
)
def test_what_is_refused(
    runtime: Runtime, provider: Provider, hint: str, values: dict[str, str], message: str
) -> None:
    register(runtime, "other")
    values = dict(values)  # the table is shared by every backend's run: never change it
    if values.pop("use_hint", None):
        values["id_token_hint"] = hint
    with pytest.raises(InvalidRequest, match=message):
        validate_logout(provider, params(**values))


def test_an_access_token_is_no_hint(
    provider: Provider, hint: str, alice: User, runtime: Runtime
) -> None:
    app = runtime.store.clients.get("app")
    assert app is not None
    access_token = issue(provider, app, alice, ("openid",)).access_token
    with pytest.raises(InvalidRequest, match="not an ID token"):
        validate_logout(provider, params(id_token_hint=access_token))


@pytest.mark.parametrize(
    ("uri", "state", "location"),
    [
        (None, "s", None),
        (BACK, None, BACK),
        (f"{BACK}?from=app", "s", f"{BACK}?from=app&state=s"),
    ],
)
def test_redirect_location(uri: str | None, state: str | None, location: str | None) -> None:
    request = LogoutRequest(client=None, post_logout_redirect_uri=uri, state=state, hint_sid=None)
    assert request.redirect_location() == location


@pytest.mark.parametrize("by", ["cookie", "hint sid", "neither"])
def test_end_session(runtime: Runtime, by: str) -> None:
    make_user(runtime)
    cookie = sign_in_cookie(runtime, "alice")
    session = browser_state(runtime.provider, cookie).session
    assert session is not None
    request = LogoutRequest(
        client=None,
        post_logout_redirect_uri=None,
        state=None,
        # §2: the verified id_token_hint names the session when the cookie stayed behind.
        hint_sid=session.sid if by == "hint sid" else None,
    )
    end_session(runtime.provider, cookie if by == "cookie" else None, request)
    ended = browser_state(runtime.provider, cookie).session is None
    assert ended is (by != "neither")
