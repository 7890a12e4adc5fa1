"""Second factors in tests: an authenticator app set up for a user, the codes it shows at a
given time, and the verification and enrolment forms submitted as a browser would."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.flow import csrf_from, query_of


def enrol_totp(runtime: Runtime, username: str = "alice") -> tuple[str, list[str]]:
    """Set up an authenticator app for ``username`` as the enrolment page would; the secret
    and the recovery codes."""
    provider = runtime.provider
    user = provider.users.find_by_login(username)
    assert user is not None
    now = provider.clock()
    enrolment = provider.totp.start_enrolment(user, "testserver", now)
    assert enrolment is not None
    assert provider.totp.confirm_enrolment(user.id, code_at(enrolment.secret, now), now)
    return enrolment.secret, provider.recovery_codes.issue(user.id, now)


def code_at(secret: str, now: int, steps: int = 0) -> str:
    """The code the app shows at ``now`` (``steps`` periods of 30 s later or earlier)."""
    return pyotp.TOTP(secret).at(now + 30 * steps)


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def submit_verify(http: TestClient, location: str, method: str = "totp", **answer: str) -> Response:
    """GET the verification page at ``location`` and answer with ``method``."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    return http.post(
        "/login/verify",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "method": method,
            **answer,
        },
    )


def secret_on_page(html: str) -> str:
    """The setup key the enrolment page shows as text (as a person would type it)."""
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>', html)
    assert match, "no setup key on the enrolment page"
    return match.group(1).replace(" ", "")


def recovery_codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([0-9a-z-]{19})</code></li>", html)


def submit_enrol(http: TestClient, location: str, now: int, **overrides: Any) -> Response:
    """GET the enrolment page, read the setup key, and confirm it with the current code."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_from(page.text), "code": code_at(secret_on_page(page.text), now)}
    interaction = query_of(location).get("interaction")
    if interaction:
        data["interaction"] = interaction
    data.update(overrides)
    return http.post("/mfa/totp/enroll", data=data)
