"""Driving the account page in-process: its sign-in through /authorize, and its forms."""

from __future__ import annotations

from urllib.parse import urlsplit

from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.factories import PASSWORD
from tests.support.flow import csrf_from, submit_login


def follow_account_sign_in(
    http: TestClient, response: Response, login: str = "alice", password: str = PASSWORD
) -> Response:
    """From a redirect to /authorize (the account page's sign-in), through the login page
    when one is asked for, to the callback and back to /account; the final page."""
    for _ in range(8):
        if response.status_code != 303:
            return response
        location = response.headers["location"]
        if location.startswith("/login"):
            response = submit_login(http, location, login, password)
        else:
            target = urlsplit(location)
            response = http.get(f"{target.path}?{target.query}" if target.query else target.path)
    raise AssertionError("too many redirects")


def open_account(http: TestClient, login: str = "alice", password: str = PASSWORD) -> Response:
    """GET /account, signing in as ``login`` if the browser has no session; the page."""
    page = follow_account_sign_in(http, http.get("/account"), login, password)
    assert page.status_code == 200, page.text
    assert "<h1>Your account</h1>" in page.text, page.text
    return page


def post_account(
    http: TestClient, path: str, page: Response | None = None, **fields: str
) -> Response:
    """POST an account-page form with this browser's CSRF token (from ``page``, or a fresh
    GET of /account)."""
    token = csrf_from((page or http.get("/account")).text)
    return http.post(path, data={"csrf_token": token, **fields})
