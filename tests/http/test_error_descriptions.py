"""error_description never reflects request input raw (RFC 6749 §4.1.2.1 and §5.2: only
%x20-21 / %x23-5B / %x5D-7E), on every way an error travels: the redirect to the client, the
token endpoint's JSON, UserInfo's challenge, and the error pages."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client
from tests.support.flow import error_description, start_authorize

ALLOWED = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
HOSTILE = ['x"y', "x\\y", 'q"\\"q', "caf\u00e9", "\u56de\u8c03\u202e", "a\tb", '"' * 5000]


def _assert_safe(description: str) -> None:
    assert ALLOWED.fullmatch(description), description
    assert len(description) <= 500


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("parameter", ["scope", "response_type", "response_mode", "prompt"])
def test_authorize_errors_at_the_client(
    runtime: Runtime, http: TestClient, parameter: str, value: str
) -> None:
    make_client(runtime)
    extra = "openid " if parameter == "scope" else ""
    response, _ = start_authorize(http, **{parameter: extra + value})
    assert response.status_code == 303, response.text
    _assert_safe(error_description(response))


@pytest.mark.parametrize("value", HOSTILE)
def test_authorize_errors_on_a_page(runtime: Runtime, http: TestClient, value: str) -> None:
    response = http.get("/authorize", params={"client_id": value, "response_type": "code"})
    assert response.status_code == 400
    shown = re.search(r'<p class="lead">([^<]*)</p>', response.text)
    assert shown is not None
    _assert_safe(shown.group(1).replace("&#39;", "'"))


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("parameter", ["grant_type", "scope", "resource"])
def test_token_endpoint_errors(
    runtime: Runtime, http: TestClient, parameter: str, value: str
) -> None:
    client = make_client(runtime, grant_types=["client_credentials"], redirect_uris=[], scopes=[])
    data = {"grant_type": "client_credentials", parameter: value}
    response = http.post("/token", data=data, auth=(client["client_id"], client["client_secret"]))
    assert response.status_code == 400, response.text
    _assert_safe(error_description(response))


@pytest.mark.parametrize("value", HOSTILE)
def test_not_found_does_not_echo_the_path_raw(http: TestClient, value: str) -> None:
    response = http.get("/nothing/" + quote(value, safe=""))
    assert response.status_code == 404
    _assert_safe(response.json()["error_description"])
