"""A sign-in started in one browser can only be finished in that browser."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import authorize_params


def test_another_browser_cannot_use_the_interaction(runtime: Runtime, http: TestClient) -> None:
    make_client(runtime)
    make_user(runtime)
    params, _verifier = authorize_params()
    started = http.get("/authorize", params=params)
    assert started.status_code == 303 and "gh_csrf" in started.cookies
    login_url = started.headers["location"]
    assert http.get(login_url).status_code == 200

    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as other:
        page = other.get(login_url)
        assert page.status_code == 400
        assert "started in another browser" in page.text
        # Even with its own valid CSRF token, the other browser cannot submit the login.
        other.get("/")  # gets its own CSRF cookie
        response = other.post(
            "/login",
            data={
                "csrf_token": other.cookies["gh_csrf"],
                "interaction": login_url.split("interaction=")[1],
                "login": "alice",
                "password": PASSWORD,
            },
        )
        assert response.status_code == 400
        assert "gh_session" not in response.cookies
