"""protocol.logout: ending the SSO session a sign-out names (OIDC RP-Initiated Logout 1.0)."""

from __future__ import annotations

import pytest

from gatehouse.protocol.interaction import browser_state
from gatehouse.protocol.logout import LogoutRequest, end_session
from gatehouse.runtime import Runtime
from tests.support.factories import make_user
from tests.unit.protocol.sessions import sign_in_cookie


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
