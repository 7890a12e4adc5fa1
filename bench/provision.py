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
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ceiling_app import (
    API,
    API_ROLES,
    CLIENT_ID,
    CLIENT_SECRET,
    DAEMON_CLIENT_ID,
    DEVICE_CLIENT_ID,
    DEVICE_CODE_GRANT,
    DOWNSTREAM_API,
    DOWNSTREAM_SCOPE,
    MIDDLE_API,
    MIDDLE_CLIENT_ID,
    REFRESH_CLIENT_ID,
    TOKEN_EXCHANGE_GRANT,
)
from harness import BenchError

if TYPE_CHECKING:
    import httpx

REDIRECT_URI = "https://app.bench.example/callback"
SCOPE = "openid profile email"
# The refresh scenario: a first-party app holding offline refresh tokens for the bench API
# (no openid, so a refresh returns an access token and a rotated refresh token, no ID token).
REFRESH_SCOPE = "orders.read offline_access"
CC_SCOPE = f"{API}/.default"
# On-behalf-of: the web app the user signs in to, asking for the middle and downstream APIs.
OBO_WEB_CLIENT_ID = "bench-obo-web"
MIDDLE_SCOPE = "middle.read"
OBO_SCOPE = f"openid {MIDDLE_API}/{MIDDLE_SCOPE} {DOWNSTREAM_API}/{DOWNSTREAM_SCOPE}"
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


class Cli:
    """The ``gatehouse`` command against the bench database, its output appended to a log."""

    def __init__(self, gatehouse: Path, env: dict[str, str], log: Path) -> None:
        self.gatehouse, self.env, self.log = gatehouse, env, log

    def __call__(self, *args: str, stdin: str | None = None) -> None:
        with self.log.open("a") as out:
            done = subprocess.run(
                [str(self.gatehouse), *args],
                env=self.env,
                input=stdin,
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if done.returncode != 0:
            raise BenchError(
                f"gatehouse {args[0]} {args[1] if len(args) > 1 else ''} failed; see {self.log}"
            )


def provision(run: Cli) -> None:
    """Migrate, then register one user, the bench API (a delegated scope and two app roles)
    and three confidential clients: a third-party web app for the code grant (so consent is
    looked up on every authorization), a daemon granted both app roles for
    client_credentials, and a first-party app that holds offline refresh tokens."""
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


def provision_ways_in(run: Cli) -> None:
    """What bench/ways_in.py adds: a public device client (RFC 8628); for on-behalf-of
    (RFC 8693), a middle API linked to its own confidential client, which may exchange the
    tokens it receives for tokens for a downstream API, and a third-party web app whose
    sign-in asks for both APIs' scopes (so the user's consent covers the downstream one)."""
    run(
        "client", "create",
        "--client-id", DEVICE_CLIENT_ID,
        "--type", "public",
        "--scope", "openid",
        "--grant-type", DEVICE_CODE_GRANT,
    )  # fmt: skip
    run(
        "client", "create",
        "--client-id", MIDDLE_CLIENT_ID,
        "--secret", CLIENT_SECRET,
        "--type", "confidential",
        "--auth-method", "client_secret_basic",
        "--grant-type", TOKEN_EXCHANGE_GRANT,
    )  # fmt: skip
    run(
        "api", "create",
        "--identifier", MIDDLE_API,
        "--name", "Bench middle API",
        "--scope", f"{MIDDLE_SCOPE}=Use the middle API",
        "--client", MIDDLE_CLIENT_ID,
    )  # fmt: skip
    run(
        "api", "create",
        "--identifier", DOWNSTREAM_API,
        "--name", "Bench downstream API",
        "--scope", f"{DOWNSTREAM_SCOPE}=See stock levels",
    )  # fmt: skip
    run("grant", "token-exchange", "--client", MIDDLE_CLIENT_ID, "--api", DOWNSTREAM_API)
    run(
        "client", "create",
        "--client-id", OBO_WEB_CLIENT_ID,
        "--secret", CLIENT_SECRET,
        "--type", "confidential",
        "--auth-method", "client_secret_basic",
        "--redirect-uri", REDIRECT_URI,
        "--scope", OBO_SCOPE,
        "--grant-type", "authorization_code",
        "--third-party",
    )  # fmt: skip


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if match is None:
        raise BenchError("no CSRF token on the page")
    return match.group(1)


def open_login_page(http: httpx.Client, path: str, prefix: str = "") -> tuple[str, str]:
    """GET ``prefix + path`` (an /authorize request of a tenant below ``prefix``, "" for the
    default one) as a browser and open the login page it leads to: (the interaction id, the
    page's CSRF token)."""
    response = http.get(prefix + path)
    location = response.headers.get("location", "")
    if response.status_code != 303 or not location.startswith(f"{prefix}/login"):
        raise BenchError(f"minting: /authorize answered {response.status_code} {location[:80]}")
    interaction = parse_qs(urlsplit(location).query)["interaction"][0]
    page = http.get(location)
    if page.status_code != 200:
        raise BenchError(f"minting: the login page answered {page.status_code}")
    return interaction, _csrf(page.text)


def _hidden_fields(html: str, *, ticked: bool = False) -> dict[str, str]:
    """The form's hidden fields; with ``ticked``, also its ticked checkboxes (the consent
    page's optional scopes, all ticked until the person unticks one)."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    if ticked:
        checkbox = r'<input type="checkbox" id="[^"]*" name="([^"]+)" value="([^"]*)" checked>'
        fields.update(re.findall(checkbox, html))
    if "csrf_token" not in fields:
        raise BenchError("no CSRF token on the page")
    return fields


def _authorize(http: httpx.Client, path: str, *, all_scopes: bool = False) -> str:
    """GET ``path`` (/authorize…) and go through the login and consent pages it leads to, as
    a browser would; the code the client's redirect URI receives. The consent allows the
    required scopes, and with ``all_scopes`` the optional ones too (the page's ticked boxes;
    the code-grant scenarios of bench/run.py have always consented without them)."""
    response = http.get(path)
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
                "/consent",
                data={**_hidden_fields(page.text, ticked=all_scopes), "decision": "allow"},
            )
        elif location.startswith(REDIRECT_URI) and "code=" in location:
            return parse_qs(urlsplit(location).query)["code"][0]
        else:
            raise BenchError(f"sign-in: unexpected redirect to {location[:80]}")
    raise BenchError("sign-in: too many redirects")


def sign_in(base_url: str) -> Credentials:
    """Log in and consent once, as a browser would, leaving an SSO session and a stored
    consent; returns what the load scripts need."""
    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        _authorize(http, authorize_path() + "&state=signin")
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


def obo_subject_token(base_url: str) -> str:
    """The user's access token for the middle API, which it would exchange: the web app's
    flow in a browser of its own (sign-in, and consent to both APIs' scopes, so the user
    has allowed the downstream one), the code redeemed for the middle API (RFC 8707
    resource)."""
    import httpx

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        path = authorize_path(OBO_WEB_CLIENT_ID, OBO_SCOPE) + "&state=obo"
        code = _authorize(http, path, all_scopes=True)
        response = http.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": CODE_VERIFIER,
                "resource": MIDDLE_API,
            },
            headers={"Authorization": basic_authorization(OBO_WEB_CLIENT_ID)},
        )
        token = response.json().get("access_token") if response.status_code == 200 else None
        if not token:
            raise BenchError(f"on-behalf-of: /token gave {response.status_code} {response.text}")
        return str(token)


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
