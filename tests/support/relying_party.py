"""The client application's side, played by Authlib: discovery, an authorization URL with
state, nonce and an S256 PKCE challenge, code redemption, ID token validation the way
Authlib's own OpenID integrations do it (for the code flow, and for an ID token from the
authorization endpoint of the hybrid flow, with its c_hash), and a UserInfo call."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken, HybridIDToken
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.jws import JWSRegistry

from tests.support.live_server import LiveServer


@dataclass
class AuthorizationStart:
    url: str
    state: str
    nonce: str
    verifier: str


def discover(server: LiveServer) -> dict[str, Any]:
    with requests.Session() as http:
        http.trust_env = False  # loopback only, whatever proxy the environment names
        response = http.get(server.url("/.well-known/openid-configuration"), timeout=10)
    response.raise_for_status()
    return dict(response.json())


# Entra's placeholder in the issuer of a multi-tenant authority's discovery document.
TENANT_PLACEHOLDER = "{tenantid}"


def tenant_issuer_rule(template: str, tenants: Collection[str]) -> Callable[[Any, Any], bool]:
    """Authlib's ``validate`` hook for ``iss`` (a claims option) when the discovery document
    publishes an issuer template, as Entra's ``common`` does and gatehouse's ``/t/common``:
    ``iss`` must be the template with ``{tenantid}`` replaced by the token's own ``tid``, and
    that ``tid`` one of the ``tenants`` the application accepts. It is what Microsoft's
    libraries do for ``common`` (Microsoft.IdentityModel.Validators ``AadIssuerValidator``).
    A gatehouse default tenant's tokens carry the bare issuer (docs/multi-tenant-apps.md)."""
    bare = template.split("/t/" + TENANT_PLACEHOLDER)[0]

    def check(claims: Any, issuer: Any) -> bool:
        tid = claims.get("tid")
        if not isinstance(tid, str) or tid not in tenants:
            return False
        expected = bare if tid == "default" else template.replace(TENANT_PLACEHOLDER, tid)
        return bool(issuer == expected)

    return check


class RelyingParty:
    def __init__(
        self,
        server: LiveServer,
        client: dict[str, Any],
        redirect_uri: str,
        *,
        scope: str = "openid profile email",
    ) -> None:
        self.metadata = discover(server)
        self.client_id: str = client["client_id"]
        self.session = OAuth2Session(
            client_id=self.client_id,
            client_secret=client.get("client_secret"),
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        self.session.trust_env = False

    def close(self) -> None:
        self.session.close()

    def start(self, **params: str) -> AuthorizationStart:
        verifier = generate_token(48)
        nonce = generate_token(20)
        url, state = self.session.create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
        )
        return AuthorizationStart(url, state, nonce, verifier)

    def redeem(self, callback_url: str, start: AuthorizationStart, **extra: str) -> dict[str, Any]:
        """Authlib checks the state in the callback and sends the code with the verifier, and
        ``extra`` parameters (resource=...)."""
        token = self.session.fetch_token(
            self.metadata["token_endpoint"],
            authorization_response=callback_url,
            state=start.state,
            code_verifier=start.verifier,
            **extra,
        )
        return dict(token)

    def redeem_code(self, code: str, verifier: str | None = None) -> dict[str, Any]:
        """A code from a form_post response (no callback URL to parse); with the PKCE
        verifier when the request sent a challenge (Authlib does for response_type=code)."""
        extra = {"code_verifier": verifier} if verifier is not None else {}
        token = self.session.fetch_token(self.metadata["token_endpoint"], code=code, **extra)
        return dict(token)

    def validate_id_token(
        self, token: dict[str, Any], nonce: str, *, tenants: Collection[str] | None = None
    ) -> dict[str, Any]:
        """Signature against the published JWKS with the algorithm pinned, then iss, aud, exp,
        nonce and at_hash (OIDC Core §3.1.3.7) by Authlib's CodeIDToken. ``tenants``: the
        discovery document's issuer is a template (a multi-tenant authority), and these are
        the tenants whose tokens the application accepts (``tenant_issuer_rule``)."""
        decoded = self._decode(token["id_token"])
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            self._expected(tenants),
            {"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]},
        )
        claims.validate(leeway=60)
        return dict(claims)

    def validate_hybrid_id_token(self, response: dict[str, str], nonce: str) -> dict[str, Any]:
        """The ID token of a hybrid response (OIDC Core §3.3.2.12): signature, iss, aud, exp,
        nonce, and c_hash (and at_hash) against the code (and access token) it came with,
        by Authlib's HybridIDToken."""
        decoded = self._decode(response["id_token"])
        params = {"nonce": nonce, "client_id": self.client_id, "code": response["code"]}
        if "access_token" in response:
            params["access_token"] = response["access_token"]
        claims = HybridIDToken(decoded.claims, decoded.header, self._expected(), params)
        claims.validate(leeway=60)
        return dict(claims)

    def _decode(self, id_token: str) -> jwt.Token:
        with requests.Session() as http:
            http.trust_env = False
            jwks = http.get(self.metadata["jwks_uri"], timeout=10).json()
        return jwt.decode(
            id_token, KeySet.import_key_set(jwks), registry=JWSRegistry(algorithms=["RS256"])
        )

    def _expected(self, tenants: Collection[str] | None = None) -> dict[str, Any]:
        issuer = self.metadata["issuer"]
        iss: dict[str, Any] = {"essential": True, "value": issuer}
        if tenants is not None:
            # A new dict each time: Authlib pops the "validate" hook out of the options it
            # is given, so reused options would check nothing the second time.
            iss = {"essential": True, "validate": tenant_issuer_rule(issuer, tenants)}
        return {"iss": iss, "aud": {"essential": True, "value": self.client_id}}

    def userinfo(self) -> dict[str, Any]:
        """With the access token the session holds since redeem()."""
        response = self.session.get(self.metadata["userinfo_endpoint"], timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def push_signed(self, start: AuthorizationStart, key: RSAKey | ECKey, alg: str) -> str:
        """RFC 9126 with RFC 9101: the parameters of ``start.url`` as a request object signed
        with ``key``, pushed to the pushed authorization request endpoint with the client's
        secret (Authlib's client authentication); the URL the browser then goes to, with
        only client_id and the request_uri."""
        now = int(time.time())
        claims: dict[str, Any] = dict(parse_qsl(urlsplit(start.url).query))
        claims.update(iss=self.client_id, aud=self.metadata["issuer"], iat=now, exp=now + 300)
        header = {"alg": alg, "kid": key.kid, "typ": "oauth-authz-req+jwt"}
        request_object = jwt.encode(header, claims, key, algorithms=[alg])
        response = self.session.post(
            self.metadata["pushed_authorization_request_endpoint"],
            data={"client_id": self.client_id, "request": request_object},
            auth=self.session.client_auth("client_secret_basic"),
            withhold_token=True,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        query = {"client_id": self.client_id, "request_uri": response.json()["request_uri"]}
        return f"{self.metadata['authorization_endpoint']}?{urlencode(query)}"
