"""The demo relying party mounted at /demo by `gatehouse demo`.

It is a real confidential client: it runs the authorization code flow with PKCE against
gatehouse over HTTP, verifies the ID token with the published JWKS, calls UserInfo, and
shows what came back, decoded. Read it as a small example of a server-side web app.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.crypto import base64url_sha256, constant_time_equals
from gatehouse.keys.jose import TokenVerificationError, public_keyset, unverified_header, verify_jwt
from gatehouse.keys.remote import JwksFetchError, fetch_jwks
from gatehouse.settings import SIGNING_ALGS
from gatehouse.web.context import context_of
from gatehouse.web.http import redirect
from gatehouse.web.i18n import N_, Translatable

DEMO_CLIENT_ID = "demo-app"
DEMO_SCOPES = "openid profile email offline_access"
_COOKIE = "demo_rp"


def _redirect_uri(issuer: str) -> str:
    return f"{issuer}/demo/callback"


async def demo_home(request: Request) -> Response:
    ctx = context_of(request)
    return ctx.render(request, "demo_home.html", client_id=DEMO_CLIENT_ID, scopes=DEMO_SCOPES)


async def demo_start(request: Request) -> Response:
    """Step 1: send the browser to /authorize with state, nonce and an S256 PKCE challenge."""
    ctx = context_of(request)
    issuer = ctx.provider.config.issuer
    state, nonce, verifier = (
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(48),
    )
    params = {
        "response_type": "code",
        "client_id": DEMO_CLIENT_ID,
        "redirect_uri": _redirect_uri(issuer),
        "scope": DEMO_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": base64url_sha256(verifier),
        "code_challenge_method": "S256",
    }
    prompt = request.query_params.get("prompt")
    if prompt in ("login", "consent"):
        params["prompt"] = prompt
    response = redirect(f"{issuer}/authorize?{urlencode(params)}")
    response.set_cookie(
        _COOKIE,
        f"{state}.{nonce}.{verifier}",
        httponly=True,
        samesite="lax",
        path="/demo",
        max_age=900,
    )
    return response


def _pretty(value: Any) -> str:
    # ensure_ascii=False: show "…" and non-ASCII names as they are, not as \u escapes.
    return json.dumps(value, indent=2, ensure_ascii=False)


def _decoded(token: str) -> dict[str, Any]:
    """Header and payload of a JWT already verified elsewhere, for display only."""
    import base64

    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return {
        "header": unverified_header(token),
        "claims": json.loads(base64.urlsafe_b64decode(payload)),
    }


async def demo_callback(request: Request) -> Response:
    """Step 2: check state, redeem the code with the client secret and the PKCE verifier,
    verify the ID token, call UserInfo."""
    ctx = context_of(request)
    issuer = ctx.provider.config.issuer
    state, _, rest = request.cookies.get(_COOKIE, "").partition(".")
    nonce, _, verifier = rest.partition(".")
    query = request.query_params
    if not state or not constant_time_equals(state, query.get("state", "")):
        return _failure(
            request,
            "state mismatch",
            N_("The response does not belong to a sign-in this browser started."),
        )
    if query.get("iss") != issuer:
        return _failure(
            request, "iss mismatch", N_("The response names another issuer (RFC 9207).")
        )
    if "error" in query:
        return _failure(
            request,
            query.get("error", ""),
            N_("gatehouse did not sign you in."),
            query.get("error_description", ""),
        )
    secret = ctx.runtime.settings.demo_client_secret
    if secret is None:
        return _failure(
            request, "not configured", N_("Start the demo with the command gatehouse demo.")
        )
    async with httpx.AsyncClient(timeout=10) as http:
        token_response = await http.post(
            f"{issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": _redirect_uri(issuer),
                "code_verifier": verifier,
            },
            auth=(DEMO_CLIENT_ID, secret.get_secret_value()),
        )
        body = token_response.json()
        if token_response.status_code != 200:
            return _failure(
                request,
                body.get("error", "token error"),
                N_("The token endpoint did not accept the code."),
                body.get("error_description", ""),
            )
        userinfo = (
            await http.get(
                f"{issuer}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
            )
        ).json()
    try:
        jwks = await fetch_jwks(f"{issuer}/jwks", source="the issuer's jwks_uri")
        _header, id_claims = verify_jwt(
            body["id_token"], public_keyset(jwks), algorithms=SIGNING_ALGS
        )
    except JwksFetchError as exc:
        return _failure(
            request,
            "JWKS unavailable",
            N_("gatehouse's signing keys could not be fetched."),
            str(exc),
        )
    except TokenVerificationError as exc:
        return _failure(
            request, "invalid ID token", N_("The ID token did not pass verification."), str(exc)
        )
    checks: dict[Translatable, bool] = {
        N_("iss matches the issuer"): id_claims.get("iss") == issuer,
        N_("aud is this client"): id_claims.get("aud") == DEMO_CLIENT_ID,
        N_("nonce matches"): constant_time_equals(str(id_claims.get("nonce", "")), nonce),
        N_("exp is in the future"): int(id_claims.get("exp", 0)) > time.time(),
    }
    response = ctx.render(
        request,
        "demo_result.html",
        checks=checks,
        id_token=_pretty(_decoded(body["id_token"])),
        access_token=_pretty(_decoded(body["access_token"])),
        userinfo=_pretty(userinfo),
        token_response=_pretty(
            {k: (v if k in ("token_type", "expires_in", "scope") else "…") for k, v in body.items()}
        ),
    )
    response.delete_cookie(_COOKIE, path="/demo")
    return response


def _failure(request: Request, code: str, message: Translatable, details: str = "") -> Response:
    """The demo's error page: ``message`` in the person's language; ``code`` and
    ``details`` (what gatehouse or a library said) in English, for developers."""
    ctx = context_of(request)
    return ctx.render(
        request, "demo_error.html", status=400, code=code, message=message, details=details
    )
