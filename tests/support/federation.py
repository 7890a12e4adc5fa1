"""A second gatehouse as the upstream identity provider of the one under test: a real
gatehouse app over its own SQLite database (a copy of the session's template), served by
uvicorn on loopback in this process (tests/rs/issuer.py LoopbackServer), with the
downstream registered there as a confidential client; and a person's browser at the
upstream (an httpx client keeping its cookies) that signs in there and brings back the
callback URL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from gatehouse.admin import federation as federation_admin
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.web.app import create_app
from tests.conftest import test_settings as make_settings
from tests.rs.issuer import LoopbackServer
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import csrf_from, query_of

ALIAS = "corp"
DISPLAY_NAME = "Example Corp"
UPSTREAM_CLIENT = "downstream"


@dataclass
class Upstream:
    runtime: Runtime
    server: LoopbackServer
    client: dict[str, Any]  # the downstream's registration there, with its secret

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


@contextmanager
def running_upstream(
    sqlite_template: Path, workdir: Path, downstream_issuer: str
) -> Iterator[Upstream]:
    """The upstream gatehouse, with alice (a verified email) and the downstream's client."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "upstream.db"
    shutil.copyfile(sqlite_template, database)
    server = LoopbackServer()
    runtime = build_runtime(
        make_settings(f"sqlite:///{database}", workdir, issuer=server.url), issuer=server.url
    )
    client = make_client(
        runtime,
        UPSTREAM_CLIENT,
        redirect_uris=[f"{downstream_issuer}/login/federated/callback"],
        post_logout_redirect_uris=[f"{downstream_issuer}/logout/federated/done"],
        first_party=True,
    )
    make_user(runtime, "alice", email="alice@corp.example", email_verified=True, name="Alice Corp")
    server.serve(create_app(runtime))
    try:
        yield Upstream(runtime, server, client)
    finally:
        server.stop()
        runtime.close()


def configure(downstream: Runtime, upstream: Upstream, **spec: Any) -> dict[str, Any]:
    """The upstream, added to the downstream as an operator would (`gatehouse federation
    add`)."""
    values: dict[str, Any] = {
        "display_name": DISPLAY_NAME,
        "discovery_url": upstream.discovery_url,
        "client_id": upstream.client["client_id"],
        "client_secret": upstream.client["client_secret"],
        "jit": True,
    }
    values.update(spec)
    return federation_admin.add_upstream(
        downstream, federation_admin.UpstreamSpec(alias=spec.pop("alias", ALIAS), **values)
    )


def press_button(http: Any, login_location: str, alias: str = ALIAS) -> httpx.Response:
    """On the downstream's login page, "Sign in with ...": the redirect to the upstream."""
    page = http.get(login_location)
    assert page.status_code == 200, page.text
    assert f'name="upstream" value="{alias}"' in page.text
    data = {
        "csrf_token": csrf_from(page.text),
        "interaction": query_of(login_location)["interaction"],
        "upstream": alias,
    }
    response: httpx.Response = http.post("/login/federated", data=data)
    return response


def sign_in_upstream(
    browser: httpx.Client, authorize_url: str, login: str = "alice", password: str = PASSWORD
) -> str:
    """The person at the upstream: its authorization endpoint, its login page (skipped when
    signed in there already), back to the downstream's callback; the callback URL."""
    response = browser.get(authorize_url)
    for _ in range(4):
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if not location.startswith("/login"):
            return str(location)
        page = browser.get(location)
        data = {
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "login": login,
            "password": password,
        }
        response = browser.post("/login", data=data)
    raise AssertionError("the upstream did not send the browser back")


def upstream_browser(upstream: Upstream) -> httpx.Client:
    return httpx.Client(base_url=upstream.url, follow_redirects=False, timeout=30)


def callback_path(url: str) -> str:
    """The downstream's callback URL as a path for its test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
