"""Redirect URI rules (RFC 6749 §3.1.2, RFC 9700 §4.1.3, OIDC Core §3.1.2.1)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from gatehouse.errors import InvalidRequest


def match_registered(requested: str | None, registered: tuple[str, ...]) -> tuple[str, bool]:
    """Exact string comparison against the registered URIs (RFC 9700 §4.1.3). Returns the URI
    to use and whether it was given; an omitted one is allowed only when exactly one is
    registered (RFC 6749 §3.1.2.3)."""
    if requested is None:
        if len(registered) == 1:
            return registered[0], False
        raise InvalidRequest("redirect_uri is required: the client has several registered")
    if is_registered(requested, registered):
        return requested, True
    raise InvalidRequest(
        f"redirect_uri {requested[:200]!r} is not registered for this client; register the exact "
        "URI, scheme, host, port, path and trailing slash included"
    )


LOOPBACK_IPS = ("127.0.0.1", "::1")


def is_registered(requested: str, registered: tuple[str, ...]) -> bool:
    """Exact match — except that for a registered http://127.0.0.1 or http://[::1] URI any
    port is allowed, because native apps listen on whatever port is free (RFC 8252 §7.3,
    RFC 9700 §4.1.3). ``localhost`` gets no such exception (RFC 8252 §8.3)."""
    if requested in registered:
        return True
    asked = urlsplit(requested)
    if asked.scheme != "http" or asked.hostname not in LOOPBACK_IPS:
        return False
    try:
        asked.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    for uri in registered:
        known = urlsplit(uri)
        if (
            known.scheme == "http"
            and known.hostname == asked.hostname
            and (known.path, known.query) == (asked.path, asked.query)
            and not asked.username
            and not asked.password
            and not known.username
        ):
            return True
    return False


def check_registrable(uri: str) -> str | None:
    """Why ``uri`` may not be registered, or None (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
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


def with_query(uri: str, params: dict[str, str]) -> str:
    """Add parameters to the redirect URI's query, keeping any query it already has
    (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def origin_of(uri: str) -> str | None:
    """The web origin (scheme://host[:port]) of an http(s) URI, for CORS."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()
