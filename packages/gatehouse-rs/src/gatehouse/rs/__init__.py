"""gatehouse.rs: validate gatehouse access tokens in an API that does not run gatehouse.

It is the gatehouse-rs distribution (packages/gatehouse-rs), installed without the server: it
imports nothing from the server side of gatehouse; it needs joserfc, cryptography and httpx,
and Starlette only for :mod:`gatehouse.rs.starlette` (imported lazily here)::

    from gatehouse.rs import TokenValidator

    validator = TokenValidator("https://id.example.com", "https://orders.example.com")
    token = validator.validate(raw)             # or: await validator.validate_async(raw)
    token.require_scopes("orders.read")         # InsufficientScope (403) if missing
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatehouse.rs.acr import ACR_MFA, ACR_PASSWORD, ACR_PHR, ACR_PHRH, MFA_OR_STRONGER
from gatehouse.rs.asgi import BearerAuthMiddleware, PathRule
from gatehouse.rs.bearer import bearer_token
from gatehouse.rs.cache import CachePolicy
from gatehouse.rs.challenge import error_response, www_authenticate
from gatehouse.rs.dpop import DPoPVerifier
from gatehouse.rs.entra import EntraClaims
from gatehouse.rs.errors import (
    BearerError,
    InsufficientScope,
    InsufficientUserAuthentication,
    InvalidDPoPProof,
    InvalidRequest,
    InvalidToken,
    IssuerUnavailable,
    MissingToken,
    RSError,
)
from gatehouse.rs.http import HttpOptions
from gatehouse.rs.introspection import Introspection
from gatehouse.rs.jws import DEFAULT_ALGORITHMS, SUPPORTED_ALGORITHMS
from gatehouse.rs.multi_tenant import MultiTenantValidator
from gatehouse.rs.token import (
    AccessToken,
    require_authentication,
    require_delegated,
    require_roles,
    require_scopes,
)
from gatehouse.rs.validator import TokenValidator

if TYPE_CHECKING:
    from gatehouse.rs.starlette import RequireToken

__all__ = [
    "ACR_MFA",
    "ACR_PASSWORD",
    "ACR_PHR",
    "ACR_PHRH",
    "DEFAULT_ALGORITHMS",
    "MFA_OR_STRONGER",
    "SUPPORTED_ALGORITHMS",
    "AccessToken",
    "BearerAuthMiddleware",
    "BearerError",
    "CachePolicy",
    "DPoPVerifier",
    "EntraClaims",
    "HttpOptions",
    "InsufficientScope",
    "InsufficientUserAuthentication",
    "Introspection",
    "InvalidDPoPProof",
    "InvalidRequest",
    "InvalidToken",
    "IssuerUnavailable",
    "MissingToken",
    "MultiTenantValidator",
    "PathRule",
    "RSError",
    "RequireToken",
    "TokenValidator",
    "bearer_token",
    "error_response",
    "require_authentication",
    "require_delegated",
    "require_roles",
    "require_scopes",
    "www_authenticate",
]


def __getattr__(name: str) -> Any:
    if name == "RequireToken":  # the one name that needs Starlette
        from gatehouse.rs.starlette import RequireToken

        return RequireToken
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
