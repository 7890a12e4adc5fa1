"""Talking to the issuer: unreachable, slow, dripping, or wrong answers end in a clean
IssuerUnavailable within the timeout, never a hang."""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from collections.abc import Iterator

import pytest

from gatehouse.rs import HttpOptions, IssuerUnavailable, TokenValidator
from gatehouse.rs.http import basic_authorization
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import AUDIENCE, FakeClock, IssuerState, SigningKey, claims_for
from tests.support.ports import free_port


def _validate_both_ways(
    validator: TokenValidator, raw: str, clock: FakeClock
) -> list[tuple[str, float]]:
    """(description, seconds) of the failure with the blocking and the asyncio front; the
    clock moves past the retry interval in between, so each front really tries."""
    outcomes = []
    for front in ("sync", "async"):
        clock.advance(10)
        started = time.monotonic()
        with pytest.raises(IssuerUnavailable) as caught:
            if front == "sync":
                validator.validate(raw)
            else:
                asyncio.run(validator.validate_async(raw))
        outcomes.append((caught.value.description, time.monotonic() - started))
    return outcomes


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A port that accepts TCP connections (into the backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_an_unreachable_issuer_fails_fast(clock: FakeClock, es_key: SigningKey) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"
    validator = TokenValidator(issuer, AUDIENCE, clock=clock, http=HttpOptions(timeout=2))
    for description, seconds in _validate_both_ways(
        validator, es_key.sign(claims_for(issuer)), clock
    ):
        assert description.startswith("the issuer's discovery document is unavailable: ")
        assert "could not be fetched: ConnectError" in description
        assert seconds < 1.5


def test_an_issuer_that_never_answers_times_out(
    blackhole: str, clock: FakeClock, es_key: SigningKey
) -> None:
    validator = TokenValidator(blackhole, AUDIENCE, clock=clock, http=HttpOptions(timeout=0.5))
    for description, seconds in _validate_both_ways(
        validator, es_key.sign(claims_for(blackhole)), clock
    ):
        assert description.endswith("/.well-known/openid-configuration did not answer within 0.5 s")
        assert 0.4 < seconds < 2


def test_slow_discovery_times_out(
    issuer: IssuerState, make_validator: MakeValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    issuer.discovery_delay = 3
    validator = make_validator(http=HttpOptions(timeout=0.5))
    for description, seconds in _validate_both_ways(
        validator, es_key.sign(claims_for(issuer.url)), clock
    ):
        assert "did not answer within 0.5 s" in description
        assert seconds < 2


def test_a_dripping_jwk_set_is_cut_off(
    issuer: IssuerState, make_validator: MakeValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    """Each byte arrives within the read timeout, but the whole takes far longer."""
    issuer.jwks_drip = (40, 0.1)
    validator = make_validator(http=HttpOptions(timeout=1))
    for description, seconds in _validate_both_ways(
        validator, es_key.sign(claims_for(issuer.url)), clock
    ):
        assert "/jwks did not answer" in description
        assert seconds < 2.5


def test_after_a_failure_the_issuer_is_not_asked_again_at_once(
    issuer: IssuerState, validator: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    issuer.discovery_extra = {"issuer": "https://elsewhere.example.com"}
    raw = es_key.sign(claims_for(issuer.url))
    for _ in range(5):
        with pytest.raises(IssuerUnavailable):
            validator.validate(raw)
    assert issuer.hits["discovery"] == 1
    issuer.discovery_extra = {}
    clock.advance(5)  # the default retry_interval
    validator.validate(raw)
    assert issuer.hits["discovery"] == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"issuer": "https://elsewhere.example.com"},
            "the discovery document names issuer 'https://elsewhere.example.com', not {issuer}",
        ),
        ({"issuer": None}, "the discovery document names issuer None, not {issuer}"),
        (
            {"jwks_uri": None},
            "the discovery document is unusable: jwks_uri is missing or not a string",
        ),
        ({"jwks_uri": "/jwks"}, "jwks_uri must be an absolute http(s) URL"),
        ({"jwks_uri": "file:///etc/passwd"}, "jwks_uri must be an absolute http(s) URL"),
    ],
)
def test_a_wrong_discovery_document_is_not_used(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    extra: dict[str, object],
    message: str,
) -> None:
    """OIDC Discovery §4.3: the document must name the issuer it was fetched for."""
    issuer.discovery_extra = extra
    with pytest.raises(IssuerUnavailable) as caught:
        validator.validate(es_key.sign(claims_for(issuer.url)))
    assert message.replace("{issuer}", issuer.url) in caught.value.description
    assert issuer.hits["jwks"] == 0


def test_a_missing_discovery_document_is_reported(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    validator = make_validator(issuer=issuer.url + "/tenants/x")
    with pytest.raises(IssuerUnavailable) as caught:
        validator.validate(es_key.sign(claims_for(issuer.url + "/tenants/x")))
    assert caught.value.description == (
        f"the issuer's discovery document is unavailable: "
        f"{issuer.url}/tenants/x/.well-known/openid-configuration answered HTTP 404"
    )


@pytest.mark.parametrize(
    ("client_id", "secret"),
    [("orders-api", "plain"), ("a:b", "c d%e+f&g"), ("ü", "pässwörd")],
)
def test_client_secret_basic_is_form_encoded_first(client_id: str, secret: str) -> None:
    """RFC 6749 §2.3.1: a colon in the client id must not split the pair."""
    scheme, _, encoded = basic_authorization(client_id, secret).partition(" ")
    raw_id, _, raw_secret = base64.b64decode(encoded).decode().partition(":")
    from urllib.parse import unquote_plus

    assert (scheme, unquote_plus(raw_id), unquote_plus(raw_secret)) == ("Basic", client_id, secret)


def test_http_options_are_checked() -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        HttpOptions(timeout=0)
    with pytest.raises(ValueError, match="max_response_bytes must be at least 1024"):
        HttpOptions(max_response_bytes=10)
