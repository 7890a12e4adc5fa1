"""Fixtures for gatehouse.rs: one real issuer server for the session, reset for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gatehouse.rs import CachePolicy, HttpOptions, TokenValidator
from tests.rs.issuer import AUDIENCE, FakeClock, IssuerServer, IssuerState, SigningKey

MakeValidator = Callable[..., TokenValidator]


@pytest.fixture(scope="session")
def issuer_server() -> Iterator[IssuerServer]:
    server = IssuerServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return SigningKey.generate("ES256", kid="es-1")


@pytest.fixture(scope="session")
def rs_key() -> SigningKey:
    return SigningKey.generate("RS256", kid="rs-1")


@pytest.fixture
def issuer(issuer_server: IssuerServer, es_key: SigningKey, rs_key: SigningKey) -> IssuerState:
    """The issuer, publishing one ES256 and one RS256 key, with fresh request counts."""
    issuer_server.state.reset()
    issuer_server.state.keys = [es_key, rs_key]
    return issuer_server.state


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_validator(issuer: IssuerState, clock: FakeClock) -> Iterator[MakeValidator]:
    """TokenValidator for the test issuer, with the fake clock and generous timeouts."""
    made: list[TokenValidator] = []

    def make(**options: Any) -> TokenValidator:
        options.setdefault("clock", clock)
        options.setdefault("http", HttpOptions(timeout=10.0))
        options.setdefault("cache", CachePolicy())
        validator = TokenValidator(
            options.pop("issuer", issuer.url), options.pop("audience", AUDIENCE), **options
        )
        made.append(validator)
        return validator

    yield make
    for validator in made:
        validator.close()


@pytest.fixture
def validator(make_validator: MakeValidator) -> TokenValidator:
    return make_validator()
