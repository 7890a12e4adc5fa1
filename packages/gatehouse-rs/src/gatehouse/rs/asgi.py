"""A plain ASGI middleware that keeps requests without a valid access token out of an app.

Rules are matched in order against the request path (and method); the first match decides:
a public rule lets the request through, a protecting rule requires a valid token carrying its
scopes and roles. Requests no rule matches go through untouched, so end the list with a
catch-all ``PathRule("/")`` to deny by default.

Rule paths are relative to where the app is mounted: they are matched against the path the
app routes on (:func:`route_path`), ``scope["path"]`` without ``scope["root_path"]``. So under
Starlette's ``Mount("/v1", app=...)`` or ``uvicorn --root-path /api``, ``PathRule("/orders")``
covers ``/v1/orders`` or ``/api/orders``.

The validated :class:`AccessToken` is put in ``scope["state"]["access_token"]`` (Starlette:
``request.state.access_token``), and the validator that accepted it in
``scope["state"]["access_token_validator"]``.

An endpoint may also raise :class:`~gatehouse.rs.errors.BearerError` itself (for example via
``token.require_scopes(...)``); when the middleware sits inside the framework's error handling
(Starlette: in the ``middleware=[...]`` list) it turns it into the right 401/403 answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatehouse.rs.bearer import presented_token
from gatehouse.rs.challenge import error_response
from gatehouse.rs.dpop import BoundTokenAsBearer, DPoPVerifier, check_presentation
from gatehouse.rs.errors import BearerError, InvalidDPoPProof, RSError
from gatehouse.rs.token import (
    AccessToken,
    require_authentication,
    require_delegated,
    require_roles,
    require_scopes,
)
from gatehouse.rs.validator import TokenValidator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATE_KEY = "access_token"
# Which TokenValidator accepted the token under STATE_KEY: RequireToken reuses a token only
# when it is its own validator's, since another one may check another audience or issuer.
VALIDATOR_KEY = "access_token_validator"
_POLICY_VIOLATION = 1008  # RFC 6455 §7.4.1: a WebSocket refused for lack of a valid token


@dataclass(frozen=True)
class PathRule:
    """Requests whose path is ``prefix`` or below it (``/orders`` covers ``/orders`` and
    ``/orders/7``, not ``/ordersx``) and whose method is in ``methods`` (any when None; GET
    covers HEAD) need a token with all of ``scopes`` and ``roles`` (and, with ``delegated``,
    one issued on a person's behalf), unless ``public``; with
    ``acr_values`` and ``max_age``, one whose sign-in reached one of those classes and is at
    most that many seconds old (RFC 9470; gatehouse.rs.acr names gatehouse's classes).

    ``prefix`` is relative to where the app is mounted (see :func:`route_path`)."""

    prefix: str = "/"
    methods: Collection[str] | None = None
    scopes: Sequence[str] = ()
    roles: Sequence[str] = ()
    # Only a token that acts for a person (AccessToken.is_delegated): with roles, a
    # person's app roles, not an application's own.
    delegated: bool = False
    public: bool = False
    acr_values: Sequence[str] = ()
    max_age: int | None = None
    _methods: frozenset[str] | None = field(init=False, repr=False, compare=False, default=None)
    _base: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        if not self.prefix.startswith("/"):
            raise ValueError("a path prefix starts with /")
        methods = None if self.methods is None else frozenset(m.upper() for m in self.methods)
        if methods is not None and "GET" in methods:
            methods |= {"HEAD"}  # Starlette answers HEAD with the GET endpoint
        object.__setattr__(self, "_methods", methods)
        object.__setattr__(self, "_base", self.prefix.rstrip("/"))

    def matches(self, path: str, method: str) -> bool:
        base = self._base
        if base and path != base and not path.startswith(base + "/"):
            return False
        return self._methods is None or method in self._methods


def route_path(scope: Scope) -> str:
    """The path the app routes on: ``scope["path"]`` without the mount prefix in
    ``scope["root_path"]``.

    Servers and frameworks (uvicorn 0.54 with ``--root-path``, Starlette 1.x's ``Mount``) keep
    the full path in ``path``; matching rules on it would miss every route under a mount and
    let the request through unprotected. This is Starlette's own rule (``get_route_path``),
    written here because this module must not import Starlette: rules must see the path the
    router dispatches on, no more and no less. The prefix comes off only at a segment
    boundary (root_path ``/api`` leaves ``/apiary`` alone), and a path that does not start
    with it (a server that already removed it) is used as it is."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    rest = path[len(root_path) :]
    if rest and not rest.startswith("/"):
        return path
    return rest  # "" for the mount point itself; only the catch-all PathRule("/") matches it


def request_url(scope: Scope, public_url: str | None = None) -> str:
    """The URL a client called, as a DPoP proof's htu names it (RFC 9449 §4.3 step 9):
    ``public_url`` (the scheme and host clients use, with any path prefix a proxy takes
    away) followed by the request path; without it, the scheme and Host of the request."""
    path: str = scope["path"]
    if public_url is not None:
        return public_url.rstrip("/") + path
    host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme"))
    return f"{scheme}://{host}{path}"


class BearerAuthMiddleware:
    """Protects an ASGI app with access tokens validated by ``validator``.

    DPoP-bound tokens (RFC 9449) are accepted as ``Authorization: DPoP`` with a proof that
    ``dpop`` checks (a :class:`~gatehouse.rs.dpop.DPoPVerifier` with its defaults unless
    given); ``public_url`` is what proofs name as the API's URL when the app sits behind a
    proxy (see :func:`request_url`)."""

    def __init__(
        self,
        app: ASGIApp,
        validator: TokenValidator,
        *,
        rules: Sequence[PathRule] = (PathRule(),),
        realm: str | None = None,
        dpop: DPoPVerifier | None = None,
        public_url: str | None = None,
    ) -> None:
        self.app, self.validator, self.rules = app, validator, tuple(rules)
        self.realm = realm if realm is not None else validator.audience
        self.dpop = dpop if dpop is not None else DPoPVerifier(clock=validator.now)
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        path = route_path(scope)
        rule = next((r for r in self.rules if r.matches(path, method)), None)
        if rule is None or rule.public:
            await self.app(scope, receive, send)
            return
        try:
            token = await self.authenticate(scope, rule)
        except RSError as exc:
            await self._refuse(scope, send, exc)
            return
        state = scope.setdefault("state", {})
        state[STATE_KEY], state[VALIDATOR_KEY] = token, self.validator
        await self._call_app(scope, receive, send)

    async def authenticate(self, scope: Scope, rule: PathRule) -> AccessToken:
        """RFC 6750 §2.1 token from the header, validated, then the rule's scopes, roles and
        sign-in strength."""
        headers = scope.get("headers", ())
        values = [v.decode("latin-1") for k, v in headers if k.lower() == b"authorization"]
        scheme, raw = presented_token(values)
        try:
            token = await self.validator.validate_async(raw)
            proofs = [v.decode("latin-1") for k, v in headers if k.lower() == b"dpop"]
            method = scope.get("method", "GET")
            request = (proofs, method, request_url(scope, self.public_url))
            check_presentation(token, raw, scheme, self.dpop, request)
        except BearerError as exc:
            # RFC 9449 §7.1: a DPoP request, or a bound token sent as a bearer token, is
            # answered with a DPoP challenge.
            if scheme == "dpop" or isinstance(exc, InvalidDPoPProof | BoundTokenAsBearer):
                exc.dpop_algs = self.dpop.algorithms
            raise
        require_scopes(token, rule.scopes)
        require_roles(token, rule.roles)
        if rule.delegated:
            require_delegated(token)
        require_authentication(
            token, acr_values=rule.acr_values, max_age=rule.max_age, now=self.validator.now()
        )
        return token

    async def _call_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept", "websocket.close"):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except BearerError as exc:
            if started:
                raise
            await self._refuse(scope, send, exc)

    async def _refuse(self, scope: Scope, send: Send, exc: RSError) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": _POLICY_VIOLATION})
            return
        response = error_response(exc, self.realm)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    *((name.encode(), value.encode("latin-1")) for name, value in response.headers),
                    (b"content-length", str(len(response.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
