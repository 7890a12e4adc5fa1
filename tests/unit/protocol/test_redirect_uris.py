"""protocol.redirect_uris: exact matching, what may be registered, building the response."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.redirect_uris import (
    check_registrable,
    is_registered,
    match_registered,
    origin_of,
    split_uri,
    with_query,
)

REGISTERED = ("https://app.example.com/callback", "http://127.0.0.1:8080/cb")


@pytest.mark.parametrize("uri", REGISTERED)
def test_a_registered_uri_matches_exactly(uri: str) -> None:
    assert match_registered(uri, REGISTERED) == (uri, True)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback/",  # trailing slash
        "https://app.example.com/Callback",  # path case
        "https://APP.example.com/callback",  # no normalisation of any kind
        "https://app.example.com:443/callback",  # default port spelled out
        "http://app.example.com/callback",  # scheme
        "https://app.example.com/callback?x=1",  # extra query
        "https://app.example.com/callback#x",
        "https://app.example.com/callback/../callback",
        "https://app.example.com.evil.com/callback",
        "https://app.example.com/callbackx",
        "https://app.example.com",
        "http://127.0.0.1:8081/cb/",  # loopback: any port (RFC 8252), but the path is exact
        "http://127.0.0.1:8081/cb",  # and only for a native app
        "http://localhost:8080/cb",
        " https://app.example.com/callback",
    ],
)
def test_anything_but_an_exact_match_is_rejected(uri: str) -> None:
    with pytest.raises(InvalidRequest, match="not registered"):
        match_registered(uri, REGISTERED)


def test_a_native_app_may_use_another_loopback_port() -> None:
    uri = "http://127.0.0.1:8081/cb"
    assert match_registered(uri, REGISTERED, native=True) == (uri, True)
    with pytest.raises(InvalidRequest, match="not registered"):
        match_registered("http://127.0.0.1:8081/cb/", REGISTERED, native=True)


def test_omitted_redirect_uri_with_one_registered_uses_it() -> None:
    assert match_registered(None, ("https://a.example/cb",)) == ("https://a.example/cb", False)


@pytest.mark.parametrize("registered", [REGISTERED, ()])
def test_omitted_redirect_uri_with_several_or_none_registered_is_rejected(
    registered: tuple[str, ...],
) -> None:
    with pytest.raises(InvalidRequest, match="redirect_uri is required"):
        match_registered(None, registered)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com/callback?tenant=1",
        "https://app.example.com:8443/cb",
        "http://localhost/cb",
        "http://localhost:3000/cb",
        "http://127.0.0.1:5173/callback",
        "http://[::1]:8080/cb",
        "com.example.app:/oauth2redirect",  # RFC 8252 §7.1 private-use scheme
        "com.example.app://callback",
    ],
)
def test_registrable(uri: str) -> None:
    assert check_registrable(uri) is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("/callback", "absolute"),
        ("app.example.com/callback", "absolute"),
        ("", "absolute"),
        ("https://app.example.com/cb#frag", "fragment"),
        ("https://app.example.com/cb#", "fragment"),
        ("https:///callback", "host"),
        ("https:callback", "host"),
        ("http://app.example.com/callback", "loopback"),
        ("http://localhost.evil.com/cb", "loopback"),
        ("http://127.0.0.1.nip.io/cb", "loopback"),
        ("http://10.0.0.1/cb", "loopback"),
        ("javascript:alert(1)", "javascript"),
        ("JavaScript:alert(1)", "javascript"),
        ("data:text/html,<script>alert(1)</script>", "data"),
        ("vbscript:msgbox", "vbscript"),
        ("file:///etc/passwd", "file"),
        # Wildcards would only ever match literally (RFC 9700 §4.1.3: exact comparison).
        ("https://*.example.com/cb", "wildcard"),
        ("https://app.example.com/*", "wildcard"),
        ("https://app.example.com/cb/*/done", "wildcard"),
        ("https://app.example.com/cb?tenant=*", "wildcard"),
        ("http://127.0.0.1:*/cb", "wildcard"),
        ("com.example.app:/*", "wildcard"),
    ],
)
def test_not_registrable(uri: str, reason: str) -> None:
    problem = check_registrable(uri)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    ("uri", "params", "expected"),
    [
        (
            "https://a.example/cb",
            {"code": "c1", "state": "s"},
            "https://a.example/cb?code=c1&state=s",
        ),
        # RFC 6749 §3.1.2: an existing query component is kept.
        ("https://a.example/cb?tenant=7", {"code": "c1"}, "https://a.example/cb?tenant=7&code=c1"),
        ("https://a.example/cb?a=1&b=2", {"code": "c"}, "https://a.example/cb?a=1&b=2&code=c"),
        (
            "https://a.example/cb",
            {"error_description": "a b&c=d", "state": "x/y"},
            "https://a.example/cb?error_description=a+b%26c%3Dd&state=x%2Fy",
        ),
        ("com.example.app:/cb", {"code": "c"}, "com.example.app:/cb?code=c"),
        ("http://127.0.0.1:8080/cb", {"code": "c"}, "http://127.0.0.1:8080/cb?code=c"),
    ],
)
def test_with_query(uri: str, params: dict[str, str], expected: str) -> None:
    assert with_query(uri, params) == expected


@pytest.mark.parametrize(
    ("uri", "origin"),
    [
        ("https://app.example.com/callback?x=1", "https://app.example.com"),
        ("https://App.Example.COM:8443/cb", "https://app.example.com:8443"),
        ("http://127.0.0.1:5173/callback", "http://127.0.0.1:5173"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("com.example.app:/cb", None),
        ("ftp://files.example.com/x", None),
        ("https:///nohost", None),
        ("/relative", None),
    ],
)
def test_origin_of(uri: str, origin: str | None) -> None:
    assert origin_of(uri) == origin


@pytest.mark.parametrize(
    ("requested", "registered", "expected"),
    [
        ("http://127.0.0.1:53124/callback", ("http://127.0.0.1/callback",), True),
        ("http://127.0.0.1:8080/callback", ("http://127.0.0.1:9999/callback",), True),
        ("http://[::1]:8080/callback", ("http://[::1]/callback",), True),
        ("http://127.0.0.1:8080/other", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:8080/callback?x=1", ("http://127.0.0.1/callback",), False),
        ("http://localhost:8080/callback", ("http://localhost/callback",), False),
        ("https://127.0.0.1:8080/callback", ("https://127.0.0.1/callback",), False),
        ("http://user@127.0.0.1:8080/callback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:99999/callback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.2:8080/callback", ("http://127.0.0.1/callback",), False),
        # Only the port may differ: the rest is compared as the raw string the browser gets.
        ("http://127.0.0.1:8080/callback#frag", ("http://127.0.0.1/callback",), False),
        (" http://127.0.0.1:8080/callback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:8080/call\tback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:8080/callback\n", ("http://127.0.0.1/callback",), False),
        ("http://:@127.0.0.1:8080/callback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:0/callback", ("http://127.0.0.1/callback",), False),
        ("http://127.0.0.1:/callback", ("http://127.0.0.1/callback",), False),
        ("http://[::1", ("http://[::1]/callback",), False),
        ("http://[::1]:8080/callback", ("http://127.0.0.1/callback",), False),
    ],
)
def test_loopback_ip_redirects_may_use_any_port(
    requested: str, registered: tuple[str, ...], expected: bool
) -> None:
    """RFC 8252 §7.3: native apps listen on an ephemeral port of a loopback IP literal;
    every other client needs the exact URI, port included (RFC 9700 §4.1.3)."""
    assert is_registered(requested, registered, native=True) is expected
    assert is_registered(requested, registered, native=False) is (requested in registered)


@pytest.mark.parametrize("uri", ["http://[::1", "https://[", "http://[zz]/cb"])
def test_a_malformed_bracketed_host_is_not_registrable_and_not_an_exception(uri: str) -> None:
    assert split_uri(uri) is None
    assert check_registrable(uri) == "a redirect URI must be a well-formed URI"
    assert is_registered(uri, ("http://[::1]/cb",), native=True) is False


def test_a_redirect_uri_with_a_control_character_is_not_registrable() -> None:
    assert "control characters" in str(check_registrable("https://app.example.com/c\tb"))


def test_an_openid_request_needs_its_redirect_uri_even_with_one_registered() -> None:
    with pytest.raises(InvalidRequest, match="OpenID Connect"):
        match_registered(None, ("https://a.example/cb",), openid=True)
