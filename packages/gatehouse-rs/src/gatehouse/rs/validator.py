"""Validate RFC 9068 JWT access tokens for one API: the steps of RFC 9068 §4, written once
as a plan, with a blocking front (:meth:`TokenValidator.validate`) and an asyncio front
(:meth:`TokenValidator.validate_async`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from types import TracebackType
from typing import Self

from gatehouse.rs.cache import CachePolicy, RemoteDocument
from gatehouse.rs.claims import MAX_LEEWAY, ClaimRules, check_claims
from gatehouse.rs.entra import EntraClaims
from gatehouse.rs.errors import InvalidToken
from gatehouse.rs.http import AsyncFetcher, HttpOptions, SyncFetcher
from gatehouse.rs.introspection import Introspection, Introspector
from gatehouse.rs.jws import DEFAULT_ALGORITHMS, ParsedToken, parse, pin_algorithms, verify
from gatehouse.rs.keys import KeyIndex, VerificationKey, parse_jwks
from gatehouse.rs.metadata import ProviderMetadata, check_url, discovery_url, parse_metadata
from gatehouse.rs.sansio import Plan, run_async, run_sync
from gatehouse.rs.token import AccessToken


class TokenValidator:
    """Validates access tokens issued by ``issuer`` for the API identified by ``audience``.

    Keys come from the issuer's discovery document (``{issuer}/.well-known/openid-configuration``)
    and JWK Set, cached per :class:`CachePolicy`; with ``introspection`` set, every locally
    valid token is also checked with the issuer (RFC 7662). One instance serves a whole
    process: it is thread-safe and shares its caches between the two fronts.

    :param issuer: the exact ``iss`` value of the tokens (RFC 9068 §4).
    :param audience: this API's identifier, or several: a token must name one in ``aud``.
    :param algorithms: the allowed signature algorithms (asymmetric only; RFC 8725 §3.1).
    :param leeway: clock skew tolerated on exp, nbf and iat, in seconds (at most 300).
    :param jwks_uri: skip discovery and use this JWK Set URL.
    :param entra: check Microsoft identity platform v2.0 claims too (``ver``, ``tid`` among
        the given tenants, ``oid``), for an API of gatehouse's ``entra`` token profile; the
        token's scopes are then its ``scp`` claim.
    :param clock: seconds since the epoch; tests pass a fake one.
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Iterable[str],
        *,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        leeway: float | timedelta = 30.0,
        cache: CachePolicy | None = None,
        http: HttpOptions | None = None,
        introspection: Introspection | None = None,
        jwks_uri: str | None = None,
        clock: Callable[[], float] = time.time,
        entra: EntraClaims | None = None,
    ) -> None:
        self.issuer = check_url(issuer, "issuer")
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ValueError("audience must be one or more non-empty strings")
        #: The API's (first) audience identifier; the integrations use it as the default realm.
        self.audience = audiences[0]
        self.algorithms = pin_algorithms(algorithms)
        seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else float(leeway)
        if not 0 <= seconds <= MAX_LEEWAY:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY:g} seconds")
        self._rules = ClaimRules(issuer, frozenset(audiences), seconds, entra)
        self._clock = clock
        self._jwks_uri = check_url(jwks_uri, "jwks_uri") if jwks_uri is not None else None
        policy = cache or CachePolicy()
        self._metadata = RemoteDocument(
            "metadata",
            "discovery document",
            lambda document: parse_metadata(document, issuer),
            policy,
            clock,
        )
        self._jwks = RemoteDocument(
            "jwks", "JWK Set", lambda document: parse_jwks(document, self.algorithms), policy, clock
        )
        self._introspector = (
            Introspector(introspection, issuer, frozenset(audiences), clock)
            if introspection is not None
            else None
        )
        options = http or HttpOptions()
        self._fetch = SyncFetcher(options)
        self._fetch_async = AsyncFetcher(options)

    # -- the two fronts --------------------------------------------------------------------

    def validate(self, token: str) -> AccessToken:
        """Validate ``token`` (blocking when keys must be fetched); raise InvalidToken,
        or IssuerUnavailable when the issuer's documents cannot be had."""
        parsed = parse(token, self.algorithms)
        key = self._key_without_io(parsed)
        if key is not None:
            return self._checked(parsed, key)
        return run_sync(self._plan(token, parsed), self._fetch)

    async def validate_async(self, token: str) -> AccessToken:
        """As :meth:`validate`, fetching with asyncio."""
        parsed = parse(token, self.algorithms)
        key = self._key_without_io(parsed)
        if key is not None:
            return self._checked(parsed, key)
        return await run_async(self._plan(token, parsed), self._fetch_async)

    def now(self) -> float:
        """The validator's clock (seconds since the epoch): what ``max_age`` is checked with."""
        return self._clock()

    def close(self) -> None:
        self._fetch.close()

    async def aclose(self) -> None:
        await self._fetch_async.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
        self.close()

    # -- the plan: RFC 9068 §4 in order ----------------------------------------------------

    def plan(self, token: str) -> Plan[AccessToken]:
        """The validation steps, as a sans-I/O plan (see :mod:`gatehouse.rs.sansio`)."""
        return self._plan(token, parse(token, self.algorithms))

    def _plan(self, token: str, parsed: ParsedToken) -> Plan[AccessToken]:
        key = yield from self._key(parsed.kid, parsed.alg)
        access = self._checked(parsed, key)
        if self._introspector is not None:
            metadata = yield from self._metadata_document()
            endpoint = self._introspector.endpoint(metadata.introspection_endpoint)
            yield from self._introspector.check(token, access, endpoint)
        return access

    def _checked(self, parsed: ParsedToken, key: VerificationKey) -> AccessToken:
        """RFC 9068 §4: step 1 (typ) and the alg rules were checked by parse(); here step 5
        (the signature, with the issuer's key), then steps 3 (iss), 4 (aud) and 6 (exp)."""
        claims = verify(parsed, key)
        check_claims(claims, self._rules, self._clock())
        return AccessToken(claims, scope_claim="scope" if self._rules.entra is None else "scp")

    def _key_without_io(self, parsed: ParsedToken) -> VerificationKey | None:
        """The key, when validating needs no I/O at all (the common case): the JWK Set is
        cached and fresh, it has the kid, and introspection is off."""
        if self._introspector is not None:
            return None
        index = self._jwks.fresh()
        return index.find(parsed.kid, parsed.alg) if index is not None else None

    def _key(self, kid: str, alg: str) -> Plan[VerificationKey]:
        """The issuer's key ``kid``; an unknown kid triggers one (rate-limited) JWK Set
        refetch, since the issuer may have rotated in a new key (OIDC Core §10.1.1)."""
        index = self._jwks.fresh()
        if index is None:
            index = yield from self._key_index()
        key = index.find(kid, alg)
        if key is None:
            jwks_uri = yield from self._jwks_location()
            if (yield from self._jwks.refetch(jwks_uri)):
                index = yield from self._key_index()
                key = index.find(kid, alg)
        if key is None:
            raise InvalidToken(
                f"the token is signed with key {kid}, which the issuer does not publish"
            )
        return key

    def _key_index(self) -> Plan[KeyIndex]:
        jwks_uri = yield from self._jwks_location()
        index: KeyIndex = yield from self._jwks.get(jwks_uri)
        return index

    def _jwks_location(self) -> Plan[str]:
        if self._jwks_uri is not None:
            return self._jwks_uri
        metadata = yield from self._metadata_document()
        return metadata.jwks_uri

    def _metadata_document(self) -> Plan[ProviderMetadata]:
        metadata: ProviderMetadata = yield from self._metadata.get(discovery_url(self.issuer))
        return metadata
