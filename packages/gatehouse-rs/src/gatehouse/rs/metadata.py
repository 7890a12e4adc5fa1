"""The issuer's discovery document (OpenID Connect Discovery 1.0 §4, RFC 8414 §3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gatehouse.rs.errors import IssuerUnavailable


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What a resource server needs from the discovery document."""

    issuer: str
    jwks_uri: str
    introspection_endpoint: str | None


def discovery_url(issuer: str) -> str:
    """OIDC Discovery §4: issuer (no trailing slash) + /.well-known/openid-configuration."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def check_url(url: str, what: str) -> str:
    """An absolute http(s) URL without a fragment (RFC 8414 §2), or ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise ValueError(f"{what} must be an absolute http(s) URL without a fragment: {url!r}")
    return url


def parse_metadata(document: dict[str, Any], expected_issuer: str) -> ProviderMetadata:
    """OIDC Discovery §4.3, RFC 8414 §3.3: the ``issuer`` in the document must be identical to
    the issuer it was fetched for, or the document must not be used."""
    issuer = document.get("issuer")
    if issuer != expected_issuer:
        raise IssuerUnavailable(
            f"the discovery document names issuer {_short(issuer)}, not {expected_issuer}"
        )
    try:
        jwks_uri = check_url(_string(document, "jwks_uri"), "jwks_uri")
        introspection = document.get("introspection_endpoint")
        if introspection is not None:
            introspection = check_url(
                _string(document, "introspection_endpoint"), "introspection_endpoint"
            )
    except ValueError as exc:
        raise IssuerUnavailable(f"the discovery document is unusable: {exc}") from None
    return ProviderMetadata(issuer, jwks_uri, introspection)


def _string(document: dict[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{name} is missing or not a string")
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
