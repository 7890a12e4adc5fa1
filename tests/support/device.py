"""The device flow (RFC 8628) from outside: a device client, its requests, and the device
page's forms, as a browser fills them in."""

from __future__ import annotations

import re
from typing import Any

from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.runtime import Runtime
from tests.support.factories import make_client
from tests.support.flow import csrf_from


def make_device_client(
    runtime: Runtime, client_id: str = "tv", *, public: bool = True, **fields: Any
) -> dict[str, Any]:
    """A client for the device flow only: public (a TV app, a CLI) unless ``public`` is
    False; openid profile offline_access."""
    fields.setdefault("grant_types", [DEVICE_CODE_GRANT, "refresh_token"])
    fields.setdefault("redirect_uris", [])
    fields.setdefault("scopes", ["openid", "profile", "offline_access"])
    if public:
        fields.setdefault("client_type", "public")
    return make_client(runtime, client_id, **fields)


def client_auth(client: dict[str, Any]) -> tuple[dict[str, str], tuple[str, str] | None]:
    """(form fields, Basic credentials) by which ``client`` authenticates."""
    if "client_secret" in client:
        return {}, (client["client_id"], client["client_secret"])
    return {"client_id": client["client_id"]}, None


def start_device(
    http: TestClient, client: dict[str, Any], scope: str = "openid profile", **extra: str
) -> Response:
    fields, auth = client_auth(client)
    return http.post("/device_authorization", data={**fields, "scope": scope, **extra}, auth=auth)


def poll(http: TestClient, client: dict[str, Any], device_code: str) -> Response:
    fields, auth = client_auth(client)
    data = {**fields, "grant_type": DEVICE_CODE_GRANT, "device_code": device_code}
    return http.post("/token", data=data, auth=auth)


def enter_code(http: TestClient, code: str, page: Response | None = None) -> Response:
    """POST the device page's code form with this browser's CSRF token."""
    token = csrf_from((page or http.get("/device")).text)
    return http.post("/device", data={"csrf_token": token, "action": "continue", "user_code": code})


def confirmation_fields(html: str) -> dict[str, str]:
    """The confirmation form's hidden fields (CSRF token, user code, subject)."""
    form = html[html.index('<form method="post" action="/device"') :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert {"csrf_token", "user_code", "subject"} <= fields.keys(), fields
    return fields


def answer(http: TestClient, confirmation: Response, action: str = "approve") -> Response:
    return http.post("/device", data={**confirmation_fields(confirmation.text), "action": action})
