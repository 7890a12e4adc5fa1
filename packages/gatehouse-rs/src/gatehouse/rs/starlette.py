"""Starlette and FastAPI integration; the only module of gatehouse.rs that imports Starlette.

``RequireToken`` is a dependency: ``Depends(RequireToken(validator, scopes=["orders.read"]))``
in FastAPI, or ``token = await require(request)`` in a Starlette endpoint. It raises an
``HTTPException`` carrying the RFC 6750 challenge, which both frameworks render with its
headers. ``bearer_error_handler(realm)`` makes a handler that renders an :class:`RSError` an
endpoint raises itself (``app.add_exception_handler(RSError, bearer_error_handler("orders"))``).
"""

# No "from __future__ import annotations": FastAPI reads the Request annotation of __call__
# at runtime to know what to inject.

from collections.abc import Awaitable, Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.rs.asgi import STATE_KEY, VALIDATOR_KEY, request_url
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

__all__ = ["BearerHTTPException", "RequireToken", "bearer_error_handler"]

Handler = Callable[[Request, Exception], Awaitable[Response]]


class BearerHTTPException(HTTPException):
    """An HTTPException for a refused request; ``error`` is the gatehouse.rs exception."""

    def __init__(self, error: RSError, realm: str | None) -> None:
        response = error_response(error, realm)
        headers = {name: value for name, value in response.headers if name != "content-type"}
        super().__init__(response.status, detail=_detail(error), headers=headers)
        self.error = error


def _detail(error: RSError) -> str:
    if isinstance(error, BearerError):
        return error.description
    return "access tokens cannot be checked right now; try again shortly"


class RequireToken:
    """A dependency that returns the request's validated :class:`AccessToken`, which must
    carry all of ``scopes`` (delegated) and all of ``roles`` (app roles), act for a person
    when ``delegated`` (so the roles are the person's, not an application's own), and come
    from a sign-in that reached one of ``acr_values`` at most ``max_age`` seconds ago
    (RFC 9470 insufficient_user_authentication otherwise).

    A token already validated for this request with the same ``validator`` (by
    :class:`~gatehouse.rs.asgi.BearerAuthMiddleware`, or another ``RequireToken``) is reused;
    one validated by a different validator is validated again. The validated token is stored
    as ``request.state.access_token``."""

    def __init__(
        self,
        validator: TokenValidator,
        *,
        scopes: Sequence[str] = (),
        roles: Sequence[str] = (),
        delegated: bool = False,
        realm: str | None = None,
        acr_values: Sequence[str] = (),
        max_age: int | None = None,
        dpop: DPoPVerifier | None = None,
        public_url: str | None = None,
    ) -> None:
        self.validator = validator
        # RFC 9449: DPoP-bound tokens with a proof (gatehouse.rs.asgi.BearerAuthMiddleware).
        self.dpop = dpop if dpop is not None else DPoPVerifier(clock=validator.now)
        self.public_url = public_url
        self.scopes, self.roles, self.delegated = tuple(scopes), tuple(roles), delegated
        self.acr_values, self.max_age = tuple(acr_values), max_age
        self.realm = realm if realm is not None else validator.audience

    async def __call__(self, request: Request) -> AccessToken:
        try:
            token = await self._validated(request)
            require_scopes(token, self.scopes)
            require_roles(token, self.roles)
            if self.delegated:
                require_delegated(token)
            require_authentication(
                token, acr_values=self.acr_values, max_age=self.max_age, now=self.validator.now()
            )
        except RSError as exc:
            raise BearerHTTPException(exc, self.realm) from None
        return token

    async def _validated(self, request: Request) -> AccessToken:
        """The request's token, validated by this dependency's validator.

        Reuse is keyed on the validator itself, not on the token's audience: a validator
        also pins the issuer, the algorithms, the leeway and maybe introspection, so only
        the same instance is known to have made the same checks. An app with two
        validators pays one more (usually I/O-free) validation per request."""
        token = getattr(request.state, STATE_KEY, None)
        validated_by = getattr(request.state, VALIDATOR_KEY, None)
        if isinstance(token, AccessToken) and validated_by is self.validator:
            return token
        scheme, raw = presented_token(request.headers.getlist("authorization"))
        try:
            token = await self.validator.validate_async(raw)
            url = request_url(request.scope, self.public_url)
            proofs = (request.headers.getlist("dpop"), request.method, url)
            check_presentation(token, raw, scheme, self.dpop, proofs)
        except BearerError as exc:
            if scheme == "dpop" or isinstance(exc, InvalidDPoPProof | BoundTokenAsBearer):
                exc.dpop_algs = self.dpop.algorithms  # RFC 9449 §7.1: a DPoP challenge
            raise
        setattr(request.state, STATE_KEY, token)
        setattr(request.state, VALIDATOR_KEY, self.validator)
        return token


def bearer_error_handler(realm: str | None = None) -> Handler:
    """An exception handler for :class:`RSError` raised by endpoints (Starlette's
    ``exception_handlers={RSError: bearer_error_handler("orders")}``)."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RSError):
            raise exc
        response = error_response(exc, realm)
        return Response(
            response.body,
            status_code=response.status,
            headers=dict(response.headers),
            media_type="application/json",
        )

    return handle
