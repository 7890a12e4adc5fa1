"""protocol.messages: parameter parsing shared by every endpoint (RFC 6749 §3.1, §3.2)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidRequest, InvalidScope
from gatehouse.protocol.messages import (
    MAX_BODY_BYTES,
    MAX_PARAMETER_LENGTH,
    MAX_PARAMETERS,
    MAX_RESOURCES,
    MalformedParameters,
    Parameters,
    parse_parameters,
    parse_query_or_form,
    split_scope,
)


def test_parameters_is_a_read_only_mapping() -> None:
    params = parse_parameters([("client_id", "web"), ("scope", "openid")])
    assert dict(params) == {"client_id": "web", "scope": "openid"}
    assert list(params.keys()) == ["client_id", "scope"]
    assert list(params.values()) == ["web", "openid"]
    assert list(params.items()) == [("client_id", "web"), ("scope", "openid")]
    assert len(params) == 2
    assert params.get("state") is None
    assert "client_id" in params
    assert params.require("client_id") == "web"


def test_require_names_the_missing_parameter() -> None:
    with pytest.raises(InvalidRequest, match="the state parameter is required"):
        Parameters({}).require("state")


def test_empty_values_are_dropped_as_if_omitted() -> None:
    params = parse_parameters([("client_id", "web"), ("state", ""), ("nonce", "")])
    assert dict(params) == {"client_id": "web"}
    with pytest.raises(InvalidRequest):
        params.require("state")


@pytest.mark.parametrize(
    "pairs",
    [
        [("client_id", "a"), ("client_id", "a")],
        [("client_id", "a"), ("client_id", "b")],
        [("state", ""), ("state", "x")],  # an empty duplicate still counts
        [("state", "x"), ("state", "")],
    ],
)
def test_duplicate_parameters_are_rejected(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidRequest, match="more than once"):
        parse_parameters(pairs)


def test_parameter_count_limit() -> None:
    parse_parameters([(f"p{i}", "v") for i in range(MAX_PARAMETERS)])
    with pytest.raises(InvalidRequest, match="too many parameters"):
        parse_parameters([(f"p{i}", "v") for i in range(MAX_PARAMETERS + 1)])


def test_value_length_limit() -> None:
    parse_parameters([("state", "x" * MAX_PARAMETER_LENGTH)])
    with pytest.raises(InvalidRequest, match="too long"):
        parse_parameters([("state", "x" * (MAX_PARAMETER_LENGTH + 1))])


def test_name_length_limit() -> None:
    parse_parameters([("n" * 128, "v")])
    with pytest.raises(InvalidRequest, match="too long"):
        parse_parameters([("n" * 129, "v")])


@pytest.mark.parametrize(
    ("name", "value"),
    [("state", "\x00"), ("state", "abc\x00"), ("state", "\x00def"), ("st\x00", "v")],
)
def test_nul_characters_are_rejected(name: str, value: str) -> None:
    with pytest.raises(InvalidRequest, match="NUL"):
        parse_parameters([(name, value)])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        (b"a=1&b=2", {"a": "1", "b": "2"}),
        ("scope=openid+profile", {"scope": "openid profile"}),
        ("scope=openid%20profile", {"scope": "openid profile"}),
        (
            "redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1",
            {"redirect_uri": "https://a.example/cb?x=1"},
        ),
        ("name=J%C3%BCrgen", {"name": "J\u00fcrgen"}),
        ("a=1&empty=&b", {"a": "1"}),
        ("", {}),
    ],
)
def test_parse_query_or_form(raw: str | bytes, expected: dict[str, str]) -> None:
    assert dict(parse_query_or_form(raw)) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"a=\xff\xfe", "not valid UTF-8"),
        ("a=%ff", "not valid UTF-8"),  # percent-encoded bytes must be UTF-8 too
        ("a=%C3", "not valid UTF-8"),
        ("%ff=1", "not valid UTF-8"),
        ("a=%00", "NUL"),
        ("a=1&a=2", "more than once"),
        ("a=1&a=", "more than once"),
        (b"a=" + b"x" * MAX_BODY_BYTES, "too large"),
    ],
)
def test_parse_query_or_form_rejects(raw: str | bytes, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_query_or_form(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ()),
        ("", ()),
        ("openid", ("openid",)),
        ("openid profile email", ("openid", "profile", "email")),
        ("  openid   profile ", ("openid", "profile")),
        ("profile openid profile", ("profile", "openid")),  # order kept, duplicates dropped
        ("OpenID openid", ("OpenID", "openid")),  # case-sensitive (RFC 6749 §3.3)
        ("orders:read https://api.example.com/x", ("orders:read", "https://api.example.com/x")),
        ("!#[]~", ("!#[]~",)),
    ],
)
def test_split_scope(raw: str | None, expected: tuple[str, ...]) -> None:
    assert split_scope(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ['openid "profile"', "openid a\\b", "openid\tprofile", "openid\nprofile", "caf\u00e9", "a\x7f"],
)
def test_split_scope_rejects_characters_outside_scope_token(raw: str) -> None:
    # RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); malformed is invalid_scope.
    with pytest.raises(InvalidScope, match="invalid characters"):
        split_scope(raw)


def test_resource_may_repeat_up_to_a_limit() -> None:
    # RFC 8707 §2: resource is the one parameter that may be given more than once.
    params = parse_parameters(
        [("resource", "https://a.example"), ("resource", "https://b.example")]
    )
    assert params.all("resource") == ("https://a.example", "https://b.example")
    assert params["resource"] == "https://a.example"
    assert parse_parameters([("state", "s")]).all("state") == ("s",)
    assert parse_parameters([]).all("resource") == ()
    too_many = [("resource", f"https://{i}.example") for i in range(MAX_RESOURCES + 1)]
    with pytest.raises(InvalidRequest, match=f"more than {MAX_RESOURCES} times"):
        parse_parameters(too_many)


def test_a_malformed_request_keeps_its_well_formed_parameters() -> None:
    """So the authorization endpoint can still trust client_id and redirect_uri and send the
    error to the client (RFC 6749 §4.1.2.1)."""
    with pytest.raises(MalformedParameters) as caught:
        parse_query_or_form("client_id=web&state=a&state=b&redirect_uri=https%3A%2F%2Fa.example")
    assert dict(caught.value.usable) == {"client_id": "web", "redirect_uri": "https://a.example"}
    assert caught.value.rejected == {"state"}
