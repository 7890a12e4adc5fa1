"""RFC 9470 step-up at an API: a valid token whose sign-in is too weak (acr) or too old
(auth_time) is refused with insufficient_user_authentication, and the challenge names the
acr_values and max_age the client asks gatehouse for."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gatehouse.rs import (
    ACR_MFA,
    ACR_PASSWORD,
    MFA_OR_STRONGER,
    AccessToken,
    BearerAuthMiddleware,
    InsufficientUserAuthentication,
    PathRule,
    RequireToken,
    TokenValidator,
    error_response,
    require_authentication,
    www_authenticate,
)
from tests.rs.issuer import NOW, IssuerState, SigningKey, claims_for

RULES = [
    PathRule("/payments", acr_values=MFA_OR_STRONGER, max_age=600),
    PathRule("/"),
]


def _app(validator: TokenValidator) -> Starlette:
    async def ok(request: Request) -> Response:
        return JSONResponse({"acr": request.state.access_token.acr})

    strict = RequireToken(validator, acr_values=[ACR_MFA], max_age=300)

    async def transfer(request: Request) -> Response:
        token = await strict(request)
        return JSONResponse({"amr": list(token.amr)})

    return Starlette(
        routes=[Route("/payments", ok), Route("/orders", ok), Route("/transfer", transfer)],
        middleware=[Middleware(BearerAuthMiddleware, validator=validator, rules=RULES)],
    )


def _get(app: Any, path: str, token: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get(path, headers={"authorization": f"Bearer {token}"})

    return asyncio.run(go())


PASSWORD_ONLY = {"acr": ACR_PASSWORD, "amr": ["pwd"]}
TWO_FACTORS = {"acr": ACR_MFA, "amr": ["pwd", "otp", "mfa"]}


@pytest.mark.parametrize(
    ("path", "claims", "status", "challenge"),
    [
        ("/orders", PASSWORD_ONLY, 200, None),
        ("/payments", TWO_FACTORS, 200, None),
        (
            "/payments",
            PASSWORD_ONLY,
            401,
            'Bearer realm="https://orders.example.com", error="insufficient_user_authentication", '
            'error_description="a stronger sign-in is required", '
            'acr_values="urn:gatehouse:acr:mfa phr phrh", max_age="600"',
        ),
        (
            "/payments",
            {**TWO_FACTORS, "auth_time": int(NOW) - 601},
            401,
            'Bearer realm="https://orders.example.com", error="insufficient_user_authentication", '
            'error_description="a more recent sign-in is required", '
            'acr_values="urn:gatehouse:acr:mfa phr phrh", max_age="600"',
        ),
        ("/payments", {**TWO_FACTORS, "acr": None}, 401, "insufficient_user_authentication"),
        ("/payments", {**TWO_FACTORS, "auth_time": None}, 401, "more recent sign-in"),
        ("/transfer", TWO_FACTORS, 200, None),
        ("/transfer", PASSWORD_ONLY, 401, 'acr_values="urn:gatehouse:acr:mfa", max_age="300"'),
    ],
)
def test_the_middleware_and_the_dependency_ask_for_a_stronger_or_fresher_sign_in(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    path: str,
    claims: dict[str, Any],
    status: int,
    challenge: str | None,
) -> None:
    token = es_key.sign(claims_for(issuer.url, **claims))
    response = _get(_app(validator), path, token)
    assert response.status_code == status, response.text
    if challenge is None:
        assert "www-authenticate" not in response.headers
        return
    assert challenge in response.headers["www-authenticate"]
    if path != "/transfer":  # RequireToken's HTTPException: the framework writes the body
        assert response.json()["error"] == "insufficient_user_authentication"


def test_the_error_body_carries_what_to_ask_for() -> None:
    error = InsufficientUserAuthentication(
        "a stronger sign-in is required", acr_values=[ACR_MFA, 'bad"value'], max_age=60
    )
    header = www_authenticate(error, None)
    assert 'acr_values="urn:gatehouse:acr:mfa bad?value"' in header  # no header injection
    response = error_response(error, None)
    assert response.status == 401


def test_require_authentication_on_its_own() -> None:
    token = AccessToken({"acr": ACR_MFA, "auth_time": 1000, "amr": ["pwd", "otp", "mfa"]})
    assert require_authentication(token, acr_values=MFA_OR_STRONGER, max_age=60, now=1060)
    assert token.amr == ("pwd", "otp", "mfa")
    with pytest.raises(InsufficientUserAuthentication) as raised:
        require_authentication(token, max_age=60, now=1061)
    assert raised.value.max_age == 60 and raised.value.acr_values == ()
    assert require_authentication(token, now=0) is token  # nothing required
