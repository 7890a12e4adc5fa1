"""Redirect URI rules (RFC 6749 §3.1.2, RFC 9700 §4.1.3, OIDC Core §3.1.2.1)."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

from gatehouse.errors import InvalidRequest


def split_uri(uri: str) -> SplitResult | None:
    """``urlsplit(uri)``, or None where it raises: a bracketed host that is not an IPv6
    address (``http://[::1``) is a ValueError, not a parse result."""
    try:
        return urlsplit(uri)
    except ValueError:
        return None


def match_registered(
    requested: str | None,
    registered: tuple[str, ...],
    *,
    openid: bool = False,
    native: bool = False,
) -> tuple[str, bool]:
    """Exact string comparison against the registered URIs (RFC 9700 §4.1.3; for a
    ``native`` app see ``is_registered``). Returns the URI to use and whether it was given.
    An omitted one is allowed only in a plain OAuth request when exactly one is registered
    (RFC 6749 §3.1.2.3); OpenID Connect requires it (OIDC Core §3.1.2.1)."""
    if requested is None:
        if openid:
            raise InvalidRequest(
                "redirect_uri is required in an OpenID Connect request (scope openid)"
            )
        if len(registered) == 1:
            return registered[0], False
        if not registered:
            raise InvalidRequest("redirect_uri is required, and this client has none registered")
        raise InvalidRequest("redirect_uri is required: the client has several registered")
    if is_registered(requested, registered, native=native):
        return requested, True
    raise InvalidRequest(
        f"redirect_uri {requested[:200]!r} is not registered for this client; register the exact "
        "URI, scheme, host, port, path and trailing slash included"
    )


LOOPBACK_IPS = ("127.0.0.1", "::1")
# http://<loopback IP literal>[:port]<rest>, taken apart on the raw string rather than by
# urlsplit, which drops tabs and newlines and accepts an empty user part or port 0: what
# is compared must be exactly what the browser will be sent to. The rest is a path and
# query of printable ASCII without a fragment (RFC 6749 §3.1.2).
_LOOPBACK = re.compile(r"http://(127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?([/?][!-\"$-~]*)?")


def _loopback_parts(uri: str) -> tuple[str, int | None, str] | None:
    """(host, port, rest) of an http loopback IP URI, or None when it is not one."""
    match = _LOOPBACK.fullmatch(uri)
    if match is None:
        return None
    host, port, rest = match.group(1), match.group(2), match.group(3) or ""
    if port is not None and not 0 < int(port) <= 65535:
        return None
    return host, int(port) if port is not None else None, rest


def is_registered(requested: str, registered: tuple[str, ...], *, native: bool = False) -> bool:
    """Exact match — except that a ``native`` app (a public client: gatehouse's native apps
    and the only clients that can be) may use any port with a registered http://127.0.0.1
    or http://[::1] URI, because it listens on whatever port is free (RFC 8252 §7.3);
    everything but the port must then be the same string. Every other client gets an exact
    match (RFC 9700 §4.1.3): a web server's loopback URI names one port, and another port
    on that machine may be anyone's. ``localhost`` gets no exception (RFC 8252 §8.3)."""
    if requested in registered:
        return True
    if not native:
        return False
    asked = _loopback_parts(requested)
    if asked is None:
        return False
    for uri in registered:
        known = _loopback_parts(uri)
        if known is not None and (known[0], known[2]) == (asked[0], asked[2]):
            return True
    return False


def check_registrable(uri: str) -> str | None:
    """Why ``uri`` may not be registered, or None (RFC 6749 §3.1.2)."""
    parts = split_uri(uri)
    if parts is None:
        return "a redirect URI must be a well-formed URI"
    if any(c <= " " or c == "\x7f" for c in uri):
        return "a redirect URI must not contain spaces or control characters"
    if "*" in uri:
        # Redirect URIs are compared as exact strings (RFC 9700 §4.1.3): a pattern would only
        # ever match itself, and pattern matching is how open redirectors are made (§4.1.1).
        return (
            "a redirect URI must not contain a wildcard (*): gatehouse compares redirect URIs "
            "exactly (RFC 9700 §4.1.3), so register each URI your application uses in full"
        )
    if not parts.scheme:
        return "a redirect URI must be absolute"
    if parts.fragment or "#" in uri:
        return "a redirect URI must not contain a fragment"
    if parts.scheme in ("http", "https") and not parts.hostname:
        return "a redirect URI needs a host"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return "plain http redirect URIs are allowed only for loopback addresses"
    if parts.scheme in ("javascript", "data", "vbscript", "file"):
        return f"the {parts.scheme}: scheme is not allowed"
    return None


# A host name or IPv4 address, or a bracketed IPv6 literal, and a port: nothing (user
# information, stray characters) that could confuse where the URL leads or break the
# Content-Security-Policy that names its origin on the front-channel logout page.
_AUTHORITY = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def server_url_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a server's URL that gatehouse calls or names, or None: a
    client's back-channel or front-channel logout URI (OIDC Back-Channel Logout 1.0 §2.2,
    Front-Channel Logout 1.0 §2), a trusted issuer's JWKS or discovery URL. An absolute
    http(s) URL with a host and no fragment, https unless the host is a loopback address."""
    parts = split_uri(uri)
    if parts is None or any(c <= " " or c == "\x7f" for c in uri) or len(uri) > 2048:
        return "must be a well-formed URL of at most 2048 characters, without spaces"
    if parts.scheme not in ("http", "https"):
        return "must be an absolute http or https URL"
    if "#" in uri:
        return "must not contain a fragment"
    if not _AUTHORITY.fullmatch(parts.netloc) or not 0 < _port(parts) <= 65535:
        return "needs a host name or address and a valid port (no user name or password)"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return "plain http is allowed only for loopback addresses; use https"
    return None


def _port(parts: SplitResult) -> int:
    """The URL's port, its scheme's default when it names none, -1 when it is no port."""
    try:
        port = parts.port
    except ValueError:
        return -1
    return port if port is not None else 443


def with_query(uri: str, params: dict[str, str]) -> str:
    """Add parameters to the redirect URI's query, keeping any query it already has
    (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def origin_of(uri: str) -> str | None:
    """The web origin (scheme://host[:port]) of an http(s) URI, for CORS."""
    parts = split_uri(uri)
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()
