"""How an authorization response travels to the client's redirect URI: its parameters, with
the request's ``state`` (RFC 6749 §4.1.2) and ``iss`` (RFC 9207 §2), in the request's
response mode:

- ``query``: added to the redirect URI's query (RFC 6749 §4.1.2), the default of ``code``;
- ``fragment``: in the fragment (OAuth 2.0 Multiple Response Type Encoding Practices §2.1),
  the default of every type that returns a token, which then never reaches a server log;
- ``form_post``: the fields of an HTML form the browser POSTs to the redirect URI (OAuth 2.0
  Form Post Response Mode §2), which web/client_response.py renders.

Errors addressed to the client travel the same way (Form Post Response Mode §2.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from gatehouse.errors import ClientRedirect, OAuthError, ResponseMode
from gatehouse.protocol.redirect_uris import with_query


@dataclass(frozen=True)
class RedirectToClient:
    """The authorization response: ``params`` for ``redirect_uri``, delivered in ``mode``
    (a redirect for query and fragment, an auto-submitting form for form_post)."""

    redirect_uri: str
    params: tuple[tuple[str, str], ...]
    mode: ResponseMode = "query"

    @property
    def location(self) -> str:
        """Where a query or fragment response sends the browser."""
        if self.mode == "query":
            return with_query(self.redirect_uri, dict(self.params))
        if self.mode == "fragment":
            # Registered redirect URIs have no fragment (RFC 6749 §3.1.2).
            return f"{self.redirect_uri}#{urlencode(self.params)}"
        raise ValueError("a form_post response is a form the browser posts, not a location")


def authorization_response(
    issuer: str, target: ClientRedirect, params: dict[str, str]
) -> RedirectToClient:
    """``params`` with the request's ``state`` and the ``iss`` that tells the client which
    server answered, in the request's response mode."""
    response = dict(params)
    if target.state is not None:
        response["state"] = target.state
    response["iss"] = issuer
    return RedirectToClient(target.redirect_uri, tuple(response.items()), target.response_mode)


def error_response(issuer: str, error: OAuthError) -> RedirectToClient:
    """RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6: an error addressed to the client
    (``to_client``), as the client's response mode carries it."""
    if error.redirect is None:
        raise ValueError("the error is not addressed to the client; it stays at gatehouse")
    params = {"error": error.error, "error_description": error.description}
    return authorization_response(issuer, error.redirect, params)


def response_location(issuer: str, target: ClientRedirect, params: dict[str, str]) -> str:
    """The location of a query or fragment response."""
    return authorization_response(issuer, target, params).location


def error_location(issuer: str, error: OAuthError) -> str:
    """Where a query or fragment error response sends the browser."""
    return error_response(issuer, error).location
