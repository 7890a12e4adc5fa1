"""Provisioning a fresh gatehouse for the benchmark, and signing in once like a browser.

Everything goes through the public surface: the ``gatehouse`` CLI for the client and the
user, and HTTP for the sign-in (GET /authorize -> /login -> /consent), exactly as
tests/support/flow.py drives it in-process.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ceiling_app import (
    API,
    API_ROLES,
    CLIENT_ID,
    CLIENT_SECRET,
    DAEMON_CLIENT_ID,
    REFRESH_CLIENT_ID,
)
from harness import BenchError

REDIRECT_URI = "https://app.bench.example/callback"
SCOPE = "openid profile email"
# The refresh scenario: a first-party app holding offline refresh tokens for the bench API
# (no openid, so a refresh returns an access token and a rotated refresh token, no ID token).
REFRESH_SCOPE = "orders.read offline_access"
CC_SCOPE = f"{API}/.default"
USERNAME = "bench"
PASSWORD = "bench-password-not-secret-1"
# A fixed PKCE pair: every authorization request carries the same S256 challenge, so the token
# scripts can send the matching verifier with any code (each code is still bound to it).
CODE_VERIFIER = "bench-pkce-verifier-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF"
CODE_CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(CODE_VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


@dataclass(frozen=True)
class Credentials:
    """What the wrk scripts send."""

    session_cookie: str  # "gh_session=…"
    basic_authorization: str  # "Basic …"
    authorize_path: str  # /authorize?… without state and nonce
    redirect_uri_form: str  # redirect_uri, form-encoded
    code_verifier: str
    daemon_authorization: str  # "Basic …" of the client_credentials client
    cc_body: str  # the client_credentials form body
    refresh_authorization: str  # "Basic …" of the client holding refresh tokens


def basic_authorization(client_id: str = CLIENT_ID) -> str:
    # RFC 6749 §2.3.1: form-encode id and secret, then Basic.
    raw = f"{quote(client_id, safe='')}:{quote(CLIENT_SECRET, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def authorize_path(client_id: str = CLIENT_ID, scope: str = SCOPE) -> str:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "code_challenge": CODE_CHALLENGE,
            "code_challenge_method": "S256",
        },
        quote_via=quote,
    )
    return f"/authorize?{query}"


def provision(gatehouse: Path, env: dict[str, str], log: Path) -> None:
    """Migrate, then register one user, the bench API (a delegated scope and two app roles)
    and three confidential clients: a third-party web app for the code grant (so consent is
    looked up on every authorization), a daemon granted both app roles for
    client_credentials, and a first-party app that holds offline refresh tokens."""

    def run(*args: str, stdin: str | None = None) -> None:
        with log.open("a") as out:
            done = subprocess.run(
                [str(gatehouse), *args],
                env=env,
                input=stdin,
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            raise BenchError(
                f"gatehouse {args[0]} {args[1] if len(args) > 1 else ''} failed; see {log}"
            )

    run("migrate")
    run(
        "client", "create",
        "--client-id", CLIENT_ID,
        "--secret", CLIENT_SECRET,
        "--type", "confidential",
        "--auth-method", "client_secret_basic",
        "--redirect-uri", REDIRECT_URI,
        "--scope", SCOPE,
        "--grant-type", "authorization_code",
        "--third-party",
    )  # fmt: skip
    run(
        "api", "create",
        "--identifier", API,
        "--name", "Bench API",
        "--scope", "orders.read=Read your orders",
        *(arg for role in API_ROLES for arg in ("--app-role", f"{role}=Bench role")),
    )  # fmt: skip
    run(
        "client", "create",
        "--client-id", DAEMON_CLIENT_ID,
        "--secret", CLIENT_SECRET,
        "--type", "confidential",
        "--auth-method", "client_secret_basic",
        "--grant-type", "client_credentials",
    )  # fmt: skip
    for role in API_ROLES:
        run("grant", "app-role", "--client", DAEMON_CLIENT_ID, "--api", API, "--role", role)
    run(
        "client", "create",
        "--client-id", REFRESH_CLIENT_ID,
        "--secret", CLIENT_SECRET,
        "--type", "confidential",
        "--auth-method", "client_secret_basic",
        "--redirect-uri", REDIRECT_URI,
        "--scope", REFRESH_SCOPE,
        "--grant-type", "authorization_code",
        "--grant-type", "refresh_token",
        "--first-party",
    )  # fmt: skip
    run(
        "user", "create",
        "--username", USERNAME,
        "--email", "bench@example.org",
        "--email-verified",
        "--name", "Bench User",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise BenchError("no CSRF token on the page")
    return match.group(1)


def _hidden_fields(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    if "csrf_token" not in fields:
        raise BenchError("no CSRF token on the page")
    return fields


def sign_in(base_url: str) -> Credentials:
    """Log in and consent once, as a browser would, leaving an SSO session and a stored
    consent; returns what the load scripts need."""
    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        response = http.get(authorize_path() + "&state=signin")
        for _ in range(6):  # bounded: login, consent, then the client
            if response.status_code != 303:
                raise BenchError(f"sign-in: expected 303, got {response.status_code}")
            location = response.headers["location"]
            interaction = parse_qs(urlsplit(location).query).get("interaction", [""])[0]
            if location.startswith("/login"):
                page = http.get(location)
                response = http.post(
                    "/login",
                    data={
                        "csrf_token": _csrf(page.text),
                        "interaction": interaction,
                        "login": USERNAME,
                        "password": PASSWORD,
                    },
                )
            elif location.startswith("/consent"):
                page = http.get(location)
                response = http.post(
                    "/consent", data={**_hidden_fields(page.text), "decision": "allow"}
                )
            elif location.startswith(REDIRECT_URI) and "code=" in location:
                session = http.cookies.get("gh_session")
                if not session:
                    raise BenchError("sign-in: no gh_session cookie was set")
                return Credentials(
                    session_cookie=f"gh_session={session}",
                    basic_authorization=basic_authorization(),
                    authorize_path=authorize_path(),
                    redirect_uri_form=quote(REDIRECT_URI, safe=""),
                    code_verifier=CODE_VERIFIER,
                    daemon_authorization=basic_authorization(DAEMON_CLIENT_ID),
                    cc_body=urlencode(
                        {"grant_type": "client_credentials", "scope": CC_SCOPE}, quote_via=quote
                    ),
                    refresh_authorization=basic_authorization(REFRESH_CLIENT_ID),
                )
            else:
                raise BenchError(f"sign-in: unexpected redirect to {location[:80]}")
    raise BenchError("sign-in: too many redirects")


def mint_refresh_tokens(base_url: str, credentials: Credentials, count: int, out: Path) -> int:
    """``count`` fresh offline refresh tokens of the refresh client, one per line in ``out``:
    authorization-code flows with the SSO session (first-party: no consent page), each code
    redeemed once. Returns how many were written."""
    import httpx

    path = authorize_path(REFRESH_CLIENT_ID, REFRESH_SCOPE)
    headers = {"Cookie": credentials.session_cookie}
    form_tail = {"redirect_uri": REDIRECT_URI, "code_verifier": CODE_VERIFIER}
    tokens: list[str] = []
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        for i in range(count):
            response = http.get(f"{path}&state=r{i}", headers=headers)
            location = response.headers.get("location", "")
            code = parse_qs(urlsplit(location).query).get("code", [""])[0]
            if response.status_code != 303 or not code:
                raise BenchError(f"refresh minting: /authorize gave {response.status_code}")
            response = http.post(
                "/token",
                data={"grant_type": "authorization_code", "code": code, **form_tail},
                headers={"Authorization": credentials.refresh_authorization},
            )
            token = response.json().get("refresh_token") if response.status_code == 200 else None
            if not token:
                raise BenchError(f"refresh minting: /token gave {response.status_code}")
            tokens.append(token)
    out.write_text("".join(f"{t}\n" for t in tokens))
    return len(tokens)
