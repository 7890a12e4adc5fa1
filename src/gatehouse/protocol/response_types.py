"""The response types gatehouse answers at the authorization endpoint, and what each needs
(OAuth 2.0 Multiple Response Type Encoding Practices §3-§5, OIDC Core §3.1-§3.3).

A response type is a set of space-separated values whose order does not matter (Multiple
Response Types §2): ``canonical`` puts a request's value in the one order gatehouse stores
and compares. Each type needs one grant type of its client: ``code…`` the authorization code
grant, the types without a code the implicit grant (``GRANT_OF``), which an operator turns on
per client only (docs/flows.md).
"""

from __future__ import annotations

from typing import Literal

from gatehouse.errors import ResponseMode

CODE = "code"
# In the order of OIDC Core §3 (code, implicit, hybrid); the stored order of every value.
RESPONSE_TYPES = (
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
)
_ORDER = ("code", "id_token", "token")
# The response modes gatehouse delivers in (discovery's response_modes_supported).
RESPONSE_MODES: tuple[ResponseMode, ...] = ("query", "fragment", "form_post")
IMPLICIT = "implicit"
GrantOfType = Literal["authorization_code", "implicit"]


def canonical(value: str) -> str | None:
    """``value`` in gatehouse's order (``token code`` → ``code token``), or None when it is
    no response type gatehouse answers (an unknown or repeated value, or ``token`` alone:
    OAuth 2.0's implicit grant without OpenID Connect, which RFC 9700 §2.1.2 retires)."""
    parts = value.split(" ")
    if len(set(parts)) != len(parts) or not set(parts) <= set(_ORDER):
        return None
    ordered = " ".join(p for p in _ORDER if p in parts)
    return ordered if ordered in RESPONSE_TYPES else None


def grant_of(response_type: str) -> GrantOfType:
    """The grant type a client needs for ``response_type``: a type that returns a code is
    the code flow (the hybrid flow is one, OIDC Core §3.3); the others are the implicit
    flow (§3.2)."""
    return "authorization_code" if returns_code(response_type) else "implicit"


def returns_code(response_type: str) -> bool:
    return "code" in response_type.split(" ")


def returns_id_token(response_type: str) -> bool:
    return "id_token" in response_type.split(" ")


def returns_access_token(response_type: str) -> bool:
    return "token" in response_type.split(" ")


def returns_tokens(response_type: str) -> bool:
    """Whether the authorization endpoint itself returns a token (an ID or access token)."""
    return returns_id_token(response_type) or returns_access_token(response_type)


def default_mode(response_type: str) -> ResponseMode:
    """OAuth 2.0 Multiple Response Type Encoding Practices §2.1 and §3-§5: the query for
    ``code`` alone, the fragment for every type that returns a token."""
    return "fragment" if returns_tokens(response_type) else "query"


def mode_allowed(response_type: str, mode: ResponseMode) -> bool:
    """Multiple Response Types §5 and RFC 9700 §4.3.1: tokens never travel in the query,
    which browsers, proxies and servers log and the Referer header repeats."""
    return not (mode == "query" and returns_tokens(response_type))


def known_mode(value: str | None) -> ResponseMode | None:
    """``value`` when it is a response mode gatehouse delivers in, else None."""
    for mode in RESPONSE_MODES:
        if value == mode:
            return mode
    return None


def error_mode(response_type: str | None, response_mode: str | None) -> ResponseMode:
    """How an error travels before the request's own response type and mode are validated
    (OIDC Core §3.1.2.6): the mode asked for when gatehouse delivers in it and it may carry
    the response type's answer, else the type's default; the query when the type is none
    gatehouse answers (an error carries no token)."""
    known = canonical(response_type) if response_type is not None else None
    if known is None:
        return "query"
    mode = known_mode(response_mode)
    return mode if mode is not None and mode_allowed(known, mode) else default_mode(known)
