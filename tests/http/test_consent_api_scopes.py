"""The consent page names API scopes by their API and describes them."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.admin import apis as api_admin
from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import authorize_params, submit_login


def test_consent_page_describes_api_scopes(runtime: Runtime, http: TestClient) -> None:
    api_admin.save_api(
        runtime,
        api_admin.ApiSpec(
            identifier="https://orders.example.com",
            name="Orders API",
            scopes=[("orders.read", "Read your orders")],
        ),
        create=True,
    )
    make_client(runtime, scopes=["openid", "orders.read"])
    make_user(runtime)
    params, _verifier = authorize_params(scope="openid orders.read")
    response = submit_login(http, http.get("/authorize", params=params).headers["location"])
    page = http.get(response.headers["location"])
    assert "Orders API: orders.read" in page.text
    assert "Read your orders" in page.text
