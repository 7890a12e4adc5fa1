"""errors: every OAuthError's description is safe to send, whatever the request held."""

from __future__ import annotations

import re

import pytest

import gatehouse.web.app  # noqa: F401 - loads every module, so every OAuthError subclass
from gatehouse.accounts.passkeys import InvalidPasskeyName
from gatehouse.accounts.webauthn import PasskeyProblem, PasskeyRejected
from gatehouse.errors import (
    MAX_DESCRIPTION_LENGTH,
    InvalidClientThrottled,
    OAuthError,
    UseDPoPNonce,
    safe_description,
)
from gatehouse.protocol.messages import MalformedParameters, Parameters

# RFC 6749 §5.2 and §4.1.2.1, RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E )
ALLOWED = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")

HOSTILE = {
    "double quote": 'scope "openid" x',
    "backslash": "C:\\path\\to",
    "both": "a\\\"b'c",
    "header injection": '"\r\nSet-Cookie: x=1',
    "control characters": "a\x00b\x07c\x1bd\x7fe\tf\n",
    "non-ASCII": "café — 回调 \U0001f600 \u202e",
    "lone surrogate": "x\udcff",
    "10 kB": '"\\' * 5000,
    "empty": "",
}


def _all_subclasses(cls: type[OAuthError]) -> list[type[OAuthError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


# Subclasses whose constructor takes more than the description: what comes before it, and
# what after.
ARGUMENTS_BEFORE: dict[type[OAuthError], tuple[object, ...]] = {InvalidPasskeyName: ("length",)}
EXTRA_ARGUMENTS: dict[type[OAuthError], tuple[object, ...]] = {
    MalformedParameters: (Parameters({}), frozenset()),
    InvalidClientThrottled: (30,),
    UseDPoPNonce: ("a-nonce",),
}


def _make(cls: type[OAuthError], description: str) -> OAuthError:
    before, after = ARGUMENTS_BEFORE.get(cls, ()), EXTRA_ARGUMENTS.get(cls, ())
    return cls(*before, description, *after)  # type: ignore[call-arg]


# Their description is one of a fixed set, which nothing from a request reaches.
FIXED_DESCRIPTIONS: dict[type[OAuthError], list[OAuthError]] = {
    PasskeyRejected: [PasskeyRejected("malformed", problem) for problem in PasskeyProblem]
}
EVERY_CLASS = [c for c in [OAuthError, *_all_subclasses(OAuthError)] if c not in FIXED_DESCRIPTIONS]


@pytest.mark.parametrize("cls", EVERY_CLASS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_description_is_reduced_to_the_allowed_characters(
    cls: type[OAuthError], value: str
) -> None:
    error = _make(cls, f"the value {value!r} is not allowed; also {value}")
    assert ALLOWED.fullmatch(error.description), error.description
    assert len(error.description) <= MAX_DESCRIPTION_LENGTH
    assert str(error) == error.description


@pytest.mark.parametrize(
    "error", [e for errors in FIXED_DESCRIPTIONS.values() for e in errors], ids=str
)
def test_every_fixed_description_has_only_the_allowed_characters(error: OAuthError) -> None:
    assert ALLOWED.fullmatch(error.description), error.description
    assert len(error.description) <= MAX_DESCRIPTION_LENGTH


def test_the_subclasses_of_every_module_are_covered() -> None:
    names = {c.__name__ for c in _all_subclasses(OAuthError)}
    assert {"InvalidScope", "FormExpired", "MissingToken", "MalformedParameters"} <= names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redirect_uri 'x' is not registered", "redirect_uri 'x' is not registered"),
        ('scope "a\\b"', "scope 'a?b'"),
        ("café\n", "caf??"),
        ("~ !#[]", "~ !#[]"),
    ],
)
def test_safe_description_keeps_what_is_allowed_and_says_where_it_changed(
    text: str, expected: str
) -> None:
    assert safe_description(text) == expected


def test_a_long_description_is_cut_and_says_so() -> None:
    reduced = safe_description("x" * 10_000)
    assert len(reduced) == MAX_DESCRIPTION_LENGTH and reduced.endswith("...")
    assert safe_description("x" * MAX_DESCRIPTION_LENGTH) == "x" * MAX_DESCRIPTION_LENGTH
