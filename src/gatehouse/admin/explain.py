"""`gatehouse token explain`: why would an API accept or reject this token?

The commonest support question is "sign-in worked but the API says 401/403". This decodes a
token without trusting it, then runs every check a resource server makes — signature, type,
issuer, audience, lifetime, revocation, scopes, roles — and reports each one in plain words,
instead of stopping at the first failure as a validator must.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from gatehouse.keys.jose import (
    TokenVerificationError,
    public_keyset,
    unverified_header,
    verify_jwt,
)
from gatehouse.keys.remote import JwksFetchError, issuer_jwks
from gatehouse.protocol.audiences import canonical
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS

# gatehouse.rs TokenValidator's default leeway; introspection and UserInfo allow none.
LEEWAY = 30


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    # Said in the verdict even when every check passes: accepted, but not everywhere.
    caveat: bool = False


@dataclass
class Explanation:
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    kind: str = "unknown"
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str, *, caveat: bool = False) -> None:
        self.checks.append(Check(name, ok, detail, caveat))

    @property
    def accepted(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        failed = [c for c in self.checks if not c.ok]
        caveats = [c.detail for c in self.checks if c.caveat]
        if self.accepted:
            verdict = "An API with these expectations would accept this token."
            if caveats:
                verdict += " But " + "; ".join(caveats)
        elif failed:
            verdict = f"An API would reject this token: {failed[0].detail}"
        else:
            verdict = "This is not a token gatehouse can read."
        return {
            "verdict": verdict,
            "accepted": self.accepted,
            "kind": self.kind,
            "header": self.header,
            "claims": self.claims,
            "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def _decode_part(part: str) -> dict[str, Any]:
    padded = part + "=" * (-len(part) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _when(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def explain_token(
    runtime: Runtime | None,
    token: str,
    *,
    issuer: str,
    audience: str | None = None,
    scopes: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    now: int | None = None,
) -> Explanation:
    now = int(time.time()) if now is None else now
    result = Explanation()
    token = token.strip()
    if token.startswith("Bearer "):
        token = token[len("Bearer ") :].strip()
    parts = token.split(".")
    if len(parts) != 3:
        result.add(
            "format",
            False,
            "this is not a JWT (it does not have three dot-separated parts); gatehouse's "
            "refresh tokens and codes are opaque and only gatehouse can check them "
            "(use introspection)",
        )
        return result
    try:
        result.header = _decode_part(parts[0])
        result.claims = _decode_part(parts[1])
    except (ValueError, UnicodeError):
        result.add("format", False, "the JWT header or payload is not base64url-encoded JSON")
        return result
    claims = result.claims
    typ = str(result.header.get("typ", "")).lower()
    result.kind = (
        "access token"
        if typ in ("at+jwt", "application/at+jwt")
        else ("ID token" if "nonce" in claims or "at_hash" in claims or "azp" in claims else "JWT")
    )

    # Signature, with gatehouse's published keys.
    try:
        keys = (
            (
                runtime.keys.reloaded_for_unknown_kid(token) or runtime.keys.keyring()
            ).verification_keys
            if runtime is not None
            else public_keyset(issuer_jwks(issuer))
        )
        alg = unverified_header(token).get("alg")
        verify_jwt(token, keys, algorithms=SIGNING_ALGS)
        result.add("signature", True, f"signed by gatehouse key {result.header.get('kid')} ({alg})")
    except TokenVerificationError as exc:
        result.add(
            "signature",
            False,
            f"the signature does not verify with any published key ({exc}); the token was "
            "altered, signed by another server, or its key was retired",
        )
    except JwksFetchError as exc:
        result.add("signature", False, f"could not fetch the issuer's keys: {exc}")

    result.add(
        "type",
        result.kind == "access token",
        "typ is at+jwt: an access token (RFC 9068)"
        if result.kind == "access token"
        else f"this is an {result.kind}, not an access token: APIs must not accept ID tokens; "
        "send the access_token from the token response",
    )
    result.add(
        "issuer",
        claims.get("iss") == issuer,
        f"iss is {issuer}"
        if claims.get("iss") == issuer
        else f"iss is {claims.get('iss')!r}, expected {issuer!r}",
    )
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience is not None:
        ok = audience in audiences
        result.add(
            "audience",
            ok,
            f"aud includes {audience}"
            if ok
            else f"the token is for {', '.join(map(str, audiences))}, not {audience}; request "
            f"it with resource={audience} or that API's scopes",
        )
    _check_expiry(result, claims.get("exp"), now)
    nbf = claims.get("nbf")
    if isinstance(nbf, int) and nbf - LEEWAY > now:
        result.add(
            "not before", False, f"the token is not valid before {_when(nbf)}: check the clocks"
        )
    _check_binding(result, claims.get("cnf"))
    if runtime is not None and isinstance(claims.get("jti"), str):
        revoked = runtime.store.revocations.is_access_token_denied(claims["jti"])
        result.add("revocation", not revoked, "revoked" if revoked else "not revoked")
    subject = claims.get("sub")
    if runtime is not None and isinstance(subject, str) and subject != claims.get("client_id"):
        user = runtime.store.users.get(subject)
        if user is None:
            result.add("user", False, "the user of this token has been deleted")
        elif user.disabled:
            result.add("user", False, f"the user {user.username} is disabled")
        else:
            result.add("user", True, f"issued for {user.username}, an enabled user")
    granted_scopes = str(claims.get("scope", "")).split()
    for scope in scopes:
        granted = _granted_scope(scope, granted_scopes, audiences)
        result.add(
            f"scope {scope}",
            granted is not None,
            f"scope includes {granted}"
            if granted is not None
            else f"the token lacks the delegated scope {scope} (it has: "
            f"{' '.join(granted_scopes) or 'none'}); the client must request it and the user "
            "consent",
        )
    roles_claim = claims.get("roles")
    granted_roles = roles_claim if isinstance(roles_claim, list) else []
    # An app-only token's subject is its client; a delegated token's is the person, whose
    # roles are those assigned to them or to a group they are in (docs/groups-and-roles.md).
    if subject == claims.get("client_id"):
        grantee = "to the client (`gatehouse grant app-role --client`)"
    else:
        grantee = "to the person or a group they are in (`gatehouse grant app-role --user`"
        grantee += " or `--group`)"
    for role in roles:
        ok = role in granted_roles
        result.add(
            f"role {role}",
            ok,
            f"roles include {role}"
            if ok
            else f"the token lacks the app role {role} (it has: "
            f"{', '.join(map(str, granted_roles)) or 'none'}); an administrator grants it "
            f"{grantee}, then the client gets a new token",
        )
    return result


def _check_expiry(result: Explanation, exp: object, now: int) -> None:
    """RFC 7519 §4.1.4. Past exp but within the leeway, gatehouse.rs still accepts the token
    while gatehouse's own endpoints do not: said plainly, never as time "left"."""
    if not isinstance(exp, int):
        result.add("expiry", False, "the token has no exp claim")
    elif exp + LEEWAY <= now:
        result.add(
            "expiry",
            False,
            f"the token expired at {_when(exp)} ({now - exp} s ago); "
            "get a new one with the refresh token",
        )
    elif exp <= now:
        result.add(
            "expiry",
            True,
            f"the token expired at {_when(exp)} ({now - exp} s ago): gatehouse.rs accepts it "
            f"only within its default {LEEWAY} s leeway, until {_when(exp + LEEWAY)}, while "
            "gatehouse's introspection and UserInfo allow no leeway and refuse it; get a new "
            "one with the refresh token",
            caveat=True,
        )
    else:
        result.add("expiry", True, f"valid until {_when(exp)} ({exp - now} s left)")


def _check_binding(result: Explanation, cnf: object) -> None:
    """RFC 9449 §6: a token with cnf.jkt is accepted only with a DPoP proof of that key. A
    caveat rather than a failure: the token is good, but sending it as Bearer is not."""
    if not isinstance(cnf, dict) or "jkt" not in cnf:
        return
    result.add(
        "sender binding",
        True,
        f"the token is bound to a DPoP key (cnf.jkt {cnf['jkt']}): an API accepts it only "
        "as `Authorization: DPoP` with a proof signed by that key, never as a Bearer token",
        caveat=True,
    )


def _granted_scope(scope: str, granted: list[str], audiences: list[Any]) -> str | None:
    """The token's scope value that grants ``scope``, or None. A token's scope claim holds
    an API's bare scope names; clients request them in the canonical form
    ``<api identifier>/<name>``, which names the same scope when the token is for that API."""
    if scope in granted:
        return scope
    for name in granted:
        for aud in audiences:
            if isinstance(aud, str) and canonical(aud, name) == scope:
                return f"{name} ({scope}: the token is for {aud})"
    return None
