"""Scope rules: the standard OpenID scopes, and what a client may ask for (RFC 6749 §3.3)."""

from __future__ import annotations

from gatehouse.errors import InvalidScope

# OIDC Core §5.4 and §11. Descriptions are what the consent page shows.
STANDARD_SCOPES: dict[str, str] = {
    "openid": "Sign you in and know who you are",
    "profile": "See your name and basic profile",
    "email": "See your email address",
    "address": "See your postal address",
    "phone": "See your phone number",
    "offline_access": "Keep access while you are not using the app",
}


def check_allowed(requested: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Every requested scope must be one the client is allowed to request."""
    if not requested:
        raise InvalidScope("the scope parameter is required (for sign-in, include openid)")
    not_allowed = [s for s in requested if s not in allowed]
    if not_allowed:
        raise InvalidScope(
            f"this client may not request {' '.join(not_allowed)}; "
            f"it may request: {' '.join(allowed) or '(nothing)'}"
        )
    return requested
