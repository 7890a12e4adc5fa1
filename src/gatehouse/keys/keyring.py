"""Which key signs now, and which keys are published: pure rules over stored key records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any, Final

from gatehouse.keys.jose import PrivateKey, PublicKeySet
from gatehouse.storage.records import StoredKey

#: Every process re-reads the key table at least this often (KeyService), so a key stored
#: now is in every process's JWKS within this many seconds.
RELOAD_SECONDS: Final = 30
#: A new key signs no sooner than this after it was stored: by then every process has
#: re-read the keys and publishes it. The margin covers clocks of servers a few seconds
#: apart (``activates_at`` is compared with each server's own clock).
PUBLICATION_LEAD_SECONDS: Final = RELOAD_SECONDS + 5


@dataclass(frozen=True)
class KeyRing:
    """Loaded keys at one moment: signing keys by alg, and the public JWK Set."""

    signing: dict[str, PrivateKey]
    jwks: dict[str, Any]
    verification_keys: PublicKeySet  # the published keys, parsed once per load
    loaded_at: float

    @cached_property
    def published_kids(self) -> frozenset[str]:
        return frozenset(str(jwk.get("kid")) for jwk in self.jwks["keys"])

    def signing_key(self, alg: str) -> PrivateKey:
        try:
            return self.signing[alg]
        except KeyError:
            raise LookupError(f"no active {alg} signing key; run `gatehouse keys rotate`") from None


def is_published(key: StoredKey, now: int) -> bool:
    """Published from creation (so it is seen before it signs) until every token it signed
    has expired."""
    return key.published_until is None or key.published_until > now


def signing_key_for(keys: Sequence[StoredKey], alg: str, now: int) -> StoredKey | None:
    """The newest key of ``alg`` that has activated and is not retired."""
    candidates = [
        k
        for k in keys
        if k.alg == alg and k.activates_at <= now and (k.retired_at is None or k.retired_at > now)
    ]
    return max(candidates, key=lambda k: (k.activates_at, k.created_at), default=None)


@dataclass(frozen=True)
class RotationPlan:
    """What `keys rotate` changes for one algorithm."""

    alg: str
    new_key_activates_at: int
    retire: list[tuple[str, int, int]]  # (kid, retired_at, published_until)


def plan_rotation(
    keys: Sequence[StoredKey], alg: str, now: int, delay: timedelta, max_token_lifetime: timedelta
) -> RotationPlan:
    """Pre-publish a new key now; it signs from now + delay. Keys signing until then retire
    at that moment and stay published for the longest token lifetime after it.

    However short the delay (``--delay 0`` after a leak), the switch comes no sooner than
    PUBLICATION_LEAD_SECONDS: a key must be in every process's JWKS before any process signs
    with it, or APIs and the other processes' introspection would reject valid tokens
    (DESIGN.md §3)."""
    switch_at = now + max(int(delay.total_seconds()), PUBLICATION_LEAD_SECONDS)
    published_until = switch_at + int(max_token_lifetime.total_seconds())
    retire = [
        (k.kid, switch_at, published_until)
        for k in keys
        if k.alg == alg and (k.retired_at is None or k.retired_at > switch_at)
    ]
    return RotationPlan(alg=alg, new_key_activates_at=switch_at, retire=retire)
