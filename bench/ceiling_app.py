"""The ceiling for POST /token: a bare Starlette endpoint doing only the unavoidable work.

Per request it reads and parses the same form body gatehouse's token endpoint receives,
authenticates the client from ``Authorization: Basic`` (SHA-256 of the presented secret,
``hmac.compare_digest`` against the stored digest), signs with joserfc (the JOSE library
gatehouse uses) and answers with the same JSON shape and no-store headers. No database, no
threadpool, no middleware. What it signs follows the grant type of the form:

- ``authorization_code``: one ES256 access token and one RS256 ID token (the code grant's
  ceiling; the code itself is not checked);
- ``client_credentials``: one ES256 access token carrying the client's roles (the ceiling of
  the client_credentials and refresh benchmarks: the unavoidable work of a token response);
  with a ``DPoP`` header, the proof's signature is first checked with the key in its header
  and the token carries that key's thumbprint in ``cnf.jkt`` (the ceiling of a DPoP-bound
  request in bench/ways_in.py; the proof's claims and its jti are not checked, nothing is
  stored);
- ``urn:ietf:params:oauth:grant-type:token-exchange``: after the client's secret, one ES256
  verification of the subject token (signed at start with a key the app holds, see below)
  and one ES256 access token for the downstream API with ``act`` naming the client (the
  ceiling of an on-behalf-of exchange);
- ``urn:ietf:params:oauth:grant-type:device_code``: a public client's poll (the client_id
  in the form, no secret): one SELECT by primary key of the device code's SHA-256 from an
  SQLite table, one UPDATE of its last poll time, and the answer a pending poll gets, 400
  ``authorization_pending`` with no-store (the ceiling of device polling).

``--state-dir DIR`` holds what those two need, created by ``main`` before the workers start:
``device.db`` (stdlib sqlite3, WAL and the pragmas gatehouse's SQLite engine sets, one
connection per worker, autocommit so each UPDATE is its own transaction as in gatehouse),
with ``DEVICE_CODES`` pending codes whose values are listed in ``device-codes.txt``;
``subject-key.json`` (the public half of an ES256 key) and ``subject-token.txt`` (a user's
access token for the middle API signed with it, lifetime one day) for the exchange.

It is served by gatehouse's own serving code (src/gatehouse/web/serving.py: ``bind_socket``,
``serve_app``; web/supervisor.py: ``supervise``): N processes started with the ``spawn``
context, each binding its own SO_REUSEPORT socket, with the same uvicorn settings (uvloop,
httptools, the same connection limits at their defaults). Run by bench/run.py:

    python bench/ceiling_app.py --host 127.0.0.1 --port 8101 --workers 2
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sqlite3
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

CLIENT_ID = "bench"  # the web app of the code-grant scenarios
DAEMON_CLIENT_ID = "bench-daemon"  # the client_credentials client
REFRESH_CLIENT_ID = "bench-app"  # the client whose refresh tokens are rotated
DEVICE_CLIENT_ID = "bench-device"  # the public client of the device polling scenarios
MIDDLE_CLIENT_ID = "bench-middle"  # the client that speaks for the middle API (exchanges)
# Must match the secret bench/provision.py registers with gatehouse for each client (the
# ceiling compares digests exactly as gatehouse does).
CLIENT_SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
ISSUER = "http://127.0.0.1"
API = "https://api.bench.example"
API_ROLES = ["Orders.Read", "Orders.Write"]
MIDDLE_API = "https://middle.bench.example"  # receives the user's token and exchanges it
DOWNSTREAM_API = "https://downstream.bench.example"  # the API the exchanged token is for
DOWNSTREAM_SCOPE = "stock.read"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE_CODES = 20_000
SQLITE_PRAGMAS = (  # as src/gatehouse/storage/sql/sqlite.py sets them
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_BODY_BYTES = 64 * 1024


def create_app(state_dir: Path) -> Any:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey, RSAKey
    from joserfc.jws import JWSRegistry, extract_compact
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    class ProofRegistry(JWSRegistry):
        max_header_length = 4096  # a proof's header carries its public key

    proof_registry = ProofRegistry(algorithms=["ES256"])
    es_key = ECKey.generate_key("P-256", private=True)
    rs_key = RSAKey.generate_key(2048, private=True)
    es_kid, rs_kid = es_key.thumbprint(), rs_key.thumbprint()
    subject_key = ECKey.import_key(json.loads((state_dir / "subject-key.json").read_text()))
    device_db = sqlite3.connect(state_dir / "device.db", isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        device_db.execute(pragma)
    stored_hashes = {
        client_id: hashlib.sha256(CLIENT_SECRET.encode()).hexdigest()
        for client_id in (CLIENT_ID, DAEMON_CLIENT_ID, REFRESH_CLIENT_ID, MIDDLE_CLIENT_ID)
    }

    def error(code: str, status: int) -> Response:
        return JSONResponse({"error": code}, status_code=status, headers=NO_STORE)

    async def token(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return error("invalid_request", 400)
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        grant_type = params.get("grant_type")
        if grant_type == DEVICE_CODE_GRANT:
            return device_poll(params)
        if grant_type not in ("authorization_code", "client_credentials", TOKEN_EXCHANGE_GRANT):
            return error("unsupported_grant_type", 400)
        if grant_type == "authorization_code" and "code" not in params:
            return error("invalid_request", 400)
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return error("invalid_client", 401)
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
        client_id = unquote_plus(client_id)
        presented = hashlib.sha256(unquote_plus(secret).encode()).hexdigest()
        stored = stored_hashes.get(client_id)
        if stored is None or not hmac.compare_digest(presented.encode(), stored.encode()):
            return error("invalid_client", 401)
        if grant_type == "client_credentials":
            jkt = None
            if "dpop" in request.headers:
                try:
                    jkt = proof_key(request.headers["dpop"])
                except (JoseError, ValueError, KeyError):
                    return error("invalid_dpop_proof", 400)
            return client_credentials(client_id, params.get("scope", ""), jkt)
        if grant_type == TOKEN_EXCHANGE_GRANT:
            return token_exchange(client_id, params.get("subject_token", ""))
        return authorization_code()

    def authorization_code() -> Response:
        now = int(time.time())
        access = jwt.encode(
            {"alg": "ES256", "kid": es_kid, "typ": "at+jwt"},
            {
                "iss": ISSUER,
                "sub": "9f2c1a7e-5b7d-4c1e-8f0a-3d2b6c4e8a10",
                "aud": f"{ISSUER}/userinfo",
                "client_id": CLIENT_ID,
                "scope": "openid profile email",
                "jti": uuid.uuid4().hex,
                "iat": now,
                "exp": now + 3600,
                "auth_time": now,
                "sid": uuid.uuid4().hex,
            },
            es_key,
            algorithms=["ES256"],
        )
        at_hash = hashlib.sha256(access.encode()).digest()[:16]
        id_token = jwt.encode(
            {"alg": "RS256", "kid": rs_kid, "typ": "JWT"},
            {
                "name": "Bench User",
                "email": "bench@example.org",
                "email_verified": True,
                "iss": ISSUER,
                "sub": "9f2c1a7e-5b7d-4c1e-8f0a-3d2b6c4e8a10",
                "aud": CLIENT_ID,
                "azp": CLIENT_ID,
                "exp": now + 3600,
                "iat": now,
                "auth_time": now,
                "amr": ["pwd"],
                "at_hash": base64.urlsafe_b64encode(at_hash).rstrip(b"=").decode(),
            },
            rs_key,
            algorithms=["RS256"],
        )
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "openid profile email",
                "id_token": id_token,
            },
            headers=NO_STORE,
        )

    def proof_key(proof: str) -> str:
        """The thumbprint of the key a DPoP proof's signature verifies with (ES256 only)."""
        header = extract_compact(proof.encode("ascii"), None, proof_registry).protected
        key = ECKey.import_key(header["jwk"])
        jwt.decode(proof, key, registry=proof_registry)
        return key.thumbprint()

    def client_credentials(client_id: str, scope: str, jkt: str | None = None) -> Response:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": client_id,
            "aud": API,
            "client_id": client_id,
            "roles": API_ROLES,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 3600,
        }
        if jkt is not None:
            claims["cnf"] = {"jkt": jkt}
        access = jwt.encode(
            {"alg": "ES256", "kid": es_kid, "typ": "at+jwt"}, claims, es_key, algorithms=["ES256"]
        )
        token_type = "Bearer" if jkt is None else "DPoP"
        return JSONResponse(
            {"access_token": access, "token_type": token_type, "expires_in": 3600, "scope": scope},
            headers=NO_STORE,
        )

    def token_exchange(client_id: str, subject_token: str) -> Response:
        """RFC 8693 on-behalf-of, reduced to its signatures: the subject token verified, a
        token for the downstream API for the same user with ``act`` naming the client."""
        try:
            subject = jwt.decode(subject_token, subject_key, algorithms=["ES256"]).claims
        except (JoseError, ValueError):
            return error("invalid_request", 400)
        now = int(time.time())
        if subject.get("exp", 0) <= now:
            return error("invalid_request", 400)
        scope = f"{DOWNSTREAM_API}/{DOWNSTREAM_SCOPE}"
        claims = {
            "iss": ISSUER,
            "sub": subject["sub"],
            "aud": DOWNSTREAM_API,
            "client_id": client_id,
            "scope": DOWNSTREAM_SCOPE,
            "act": {"sub": client_id},
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": min(now + 3600, subject["exp"]),
        }
        access = jwt.encode(
            {"alg": "ES256", "kid": es_kid, "typ": "at+jwt"}, claims, es_key, algorithms=["ES256"]
        )
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": claims["exp"] - now,
                "scope": scope,
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            },
            headers=NO_STORE,
        )

    def device_poll(params: dict[str, str]) -> Response:
        """RFC 8628 §3.5 for a code still pending: look it up, record the poll, say so."""
        digest = hashlib.sha256(params.get("device_code", "").encode()).hexdigest()
        row = device_db.execute(
            "SELECT client_id, status, expires_at FROM device_codes WHERE device_code_hash = ?",
            (digest,),
        ).fetchone()
        now = int(time.time())
        if row is None or row[0] != params.get("client_id") or row[2] <= now:
            return error("invalid_grant", 400)
        device_db.execute(
            "UPDATE device_codes SET last_polled_at = ? WHERE device_code_hash = ?", (now, digest)
        )
        return error("authorization_pending", 400)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"}, headers=NO_STORE)

    return Starlette(routes=[Route("/token", token, methods=["POST"]), Route("/healthz", health)])


def prepare_state(state_dir: Path) -> None:
    """The device codes and the subject token's key (see the module's docstring)."""
    from joserfc import jwt
    from joserfc.jwk import ECKey

    state_dir.mkdir(parents=True, exist_ok=True)
    codes = [f"ceiling-device-code-{i:06d}-{uuid.uuid4().hex}" for i in range(DEVICE_CODES)]
    expires_at = int(time.time()) + 86_400
    with sqlite3.connect(state_dir / "device.db") as db:
        for pragma in SQLITE_PRAGMAS:
            db.execute(pragma)
        db.execute(
            "CREATE TABLE device_codes (device_code_hash TEXT PRIMARY KEY, client_id TEXT NOT "
            "NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL, last_polled_at INTEGER)"
        )
        db.executemany(
            "INSERT INTO device_codes VALUES (?, ?, 'pending', ?, NULL)",
            [(hashlib.sha256(c.encode()).hexdigest(), DEVICE_CLIENT_ID, expires_at) for c in codes],
        )
    db.close()
    (state_dir / "device-codes.txt").write_text("".join(f"{c}\n" for c in codes))
    key = ECKey.generate_key("P-256", private=True)
    (state_dir / "subject-key.json").write_text(json.dumps(key.as_dict(private=False)))
    now = int(time.time())
    subject = {
        "iss": ISSUER,
        "sub": "9f2c1a7e-5b7d-4c1e-8f0a-3d2b6c4e8a10",
        "aud": MIDDLE_API,
        "client_id": CLIENT_ID,
        "scope": "middle.read",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 86_400,
    }
    token = jwt.encode({"alg": "ES256", "typ": "at+jwt"}, subject, key, algorithms=["ES256"])
    (state_dir / "subject-token.txt").write_text(token)


def _worker(host: str, port: int, state_dir: Path) -> None:
    from gatehouse.settings import Settings
    from gatehouse.web.serving import bind_socket, connection_limits, serve_app

    # The limits' defaults, whatever GATEHOUSE_* variables the environment holds.
    limits = connection_limits(Settings.model_construct())
    serve_app(create_app(state_dir), bind_socket(host, port), limits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--state-dir", type=Path, required=True, help="created; must not exist")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        parser.error("the ceiling app binds loopback only")
    if args.state_dir.exists():
        parser.error(f"{args.state_dir} exists: the state directory is made fresh for each run")

    from gatehouse.web.supervisor import supervise

    prepare_state(args.state_dir)
    print(
        f"ceiling serving on http://{args.host}:{args.port} with {args.workers} worker(s)",
        flush=True,
    )
    return 0 if supervise(_worker, (args.host, args.port, args.state_dir), args.workers) else 1


if __name__ == "__main__":
    sys.exit(main())
