"""Signing in to the account page: through gatehouse's own /authorize, as its built-in
client, with PKCE (RFC 7636) and state; and the recent-sign-in rule for sensitive actions.

The browser keeps the request's ``state`` and PKCE verifier in a cookie between the
redirect to /authorize and the callback (``SignInRequest``). The callback redeems the code
like any client would, which proves the sign-in finished for this browser's request; the
account page then reads the SSO session the sign-in started or renewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from gatehouse.crypto import base64url_sha256, constant_time_equals, random_token
from gatehouse.errors import AccessDenied, InvalidRequest
from gatehouse.protocol.account.client import (
    ACCOUNT_CLIENT_ID,
    CALLBACK_PATH,
    ensure_account_client,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token import token_endpoint
from gatehouse.storage.records import SsoSession

# "device": the device page (RFC 8628 §3.3) signs the person in the same way, and the
# callback sends the browser back there (web/device.py).
Purpose = Literal["view", "reauthenticate", "device"]
_PURPOSES: tuple[Purpose, ...] = ("view", "reauthenticate", "device")
_START_AGAIN = "open your account page again to sign in"


class ReauthenticationRequired(Exception):
    """A sensitive action was asked for on a sign-in older than the tenant's
    ``reauthentication_window``: the person signs in again first."""


@dataclass(frozen=True)
class SignInRequest:
    """What the browser keeps between the redirect to /authorize and the callback."""

    state: str
    verifier: str
    purpose: Purpose

    def cookie_value(self) -> str:
        return f"{self.purpose}.{self.state}.{self.verifier}"

    @classmethod
    def from_cookie(cls, value: str | None) -> SignInRequest | None:
        parts = (value or "").split(".")
        if len(parts) != 3 or parts[0] not in _PURPOSES or len(value or "") > 300:
            return None
        purpose = next(p for p in _PURPOSES if p == parts[0])
        return cls(state=parts[1], verifier=parts[2], purpose=purpose)


def start_sign_in(
    provider: Provider,
    purpose: Purpose,
    login_hint: str | None = None,
    acr_values: tuple[str, ...] = (),
) -> tuple[str, SignInRequest]:
    """Where to send the browser (the authorization request) and what it must keep. To
    re-authenticate, max_age=0 asks for a new sign-in whatever the session's age (OIDC
    Core §3.1.2.1), for the person already signed in (login_hint). ``acr_values``: the
    sign-in must reach one of these classes (a step-up, docs/step-up.md)."""
    ensure_account_client(provider)
    request = SignInRequest(state=random_token(), verifier=random_token(48), purpose=purpose)
    params = {
        "response_type": "code",
        "client_id": ACCOUNT_CLIENT_ID,
        "redirect_uri": f"{provider.config.issuer}{CALLBACK_PATH}",
        "scope": "openid",
        "state": request.state,
        "code_challenge": base64url_sha256(request.verifier),
        "code_challenge_method": "S256",
    }
    if acr_values:
        params["acr_values"] = " ".join(acr_values)
    if purpose == "reauthenticate":
        params["max_age"] = "0"
        if login_hint:
            params["login_hint"] = login_hint
    return f"/authorize?{urlencode(params)}", request


def finish_sign_in(
    provider: Provider, request: SignInRequest | None, params: Parameters
) -> Purpose:
    """The callback: the response must answer this browser's request (state, RFC 6749
    §10.12) from this issuer (RFC 9207 §2.4); its code is redeemed with the verifier, as
    any client does (§4.1.3). Returns what the sign-in was for. Raises AccessDenied when the
    person did not sign in (Cancel), InvalidRequest or InvalidGrant otherwise."""
    if request is None or not constant_time_equals(request.state, params.get("state") or ""):
        raise InvalidRequest(
            f"this sign-in was not started in this browser or has expired; {_START_AGAIN}"
        )
    issuer = params.get("iss")
    if issuer is not None and issuer != provider.config.issuer:
        raise InvalidRequest(f"the sign-in answer came from another server; {_START_AGAIN}")
    if params.get("error") is not None:
        raise AccessDenied(f"you did not sign in; {_START_AGAIN}")
    token_endpoint(
        provider,
        Parameters(
            {
                "grant_type": "authorization_code",
                "client_id": ACCOUNT_CLIENT_ID,
                "code": params.require("code"),
                "redirect_uri": f"{provider.config.issuer}{CALLBACK_PATH}",
                "code_verifier": request.verifier,
            }
        ),
        None,
    )
    return request.purpose


def signed_in_recently(provider: Provider, session: SsoSession) -> bool:
    """Whether the session's last real authentication is within the tenant's
    ``reauthentication_window`` (a standard identity-provider rule for sensitive actions)."""
    window = int(provider.policy.get().reauthentication_window.total_seconds())
    return provider.clock() - session.auth_time <= window


def require_recent_sign_in(provider: Provider, session: SsoSession) -> None:
    """Raise ReauthenticationRequired unless ``signed_in_recently``. Every sensitive action
    of the account page calls it first (second-factor removal too)."""
    if not signed_in_recently(provider, session):
        raise ReauthenticationRequired
