"""Key life cycle: first keys, rotation, and a per-process cache of the loaded key ring."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from gatehouse import blocking
from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.keys.jose import (
    PrivateKey,
    TokenVerificationError,
    generate_signing_key,
    load_private_key,
    public_keyset,
    unverified_header,
)
from gatehouse.keys.keyring import (
    RELOAD_SECONDS,
    KeyRing,
    is_published,
    plan_rotation,
    signing_key_for,
)
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import StoredKey
from gatehouse.storage.repositories import KeyRepository

# A token naming a kid this process has not loaded makes it re-read the keys, but at most
# this often: a flood of tokens with made-up kids costs one small read a second.
_UNKNOWN_KID_RELOAD_SECONDS = 1.0


class KeyService:
    def __init__(
        self,
        repository: KeyRepository,
        encryptor: KeyEncryptor,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._encryptor = encryptor
        self._clock = clock  # seconds since the epoch; injectable like Provider.clock
        self._ring: KeyRing | None = None
        self._ring_valid_until = 0.0
        self._unknown_kid_reload_at = float("-inf")
        self._private_cache: dict[str, PrivateKey] = {}
        self._lock = threading.Lock()

    @property
    def encryptor(self) -> KeyEncryptor:
        """The key-encryption key's cipher, also used for client_secret_jwt secrets."""
        return self._encryptor

    def _add_key(self, alg: str, now: int, activates_at: int) -> StoredKey:
        generated = generate_signing_key(alg)
        stored = StoredKey(
            kid=generated.kid,
            alg=alg,
            public_jwk=generated.public_jwk,
            created_at=now,
            activates_at=activates_at,
            retired_at=None,
            published_until=None,
        )
        encrypted = self._encryptor.encrypt(generated.private_pem, kid=generated.kid)
        self._repository.add(stored, encrypted)
        return stored

    def ensure_signing_keys(self, now: int | None = None) -> list[StoredKey]:
        """Create a signing key for each supported algorithm that has none (first start)."""
        now = int(self._clock()) if now is None else now
        existing = self._repository.all()
        created = [
            self._add_key(alg, now, now)
            for alg in SIGNING_ALGS
            if signing_key_for(existing, alg, now) is None
            and not any(k.alg == alg and k.activates_at > now for k in existing)
        ]
        self.invalidate()
        return created

    def rotate(
        self,
        algs: Iterable[str],
        delay: timedelta,
        max_token_lifetime: timedelta,
        now: int | None = None,
    ) -> list[StoredKey]:
        now = int(self._clock()) if now is None else now
        existing = self._repository.all()
        created = []
        for alg in algs:
            plan = plan_rotation(existing, alg, now, delay, max_token_lifetime)
            created.append(self._add_key(alg, now, plan.new_key_activates_at))
            self._repository.retire(plan.retire)
        self.invalidate()
        return created

    def list_keys(self) -> list[StoredKey]:
        return self._repository.all()

    def invalidate(self) -> None:
        with self._lock:
            self._ring = None

    def keyring(self, max_age: float = RELOAD_SECONDS) -> KeyRing:
        """The cached ring; reloaded every RELOAD_SECONDS (or ``max_age``, for a JWKS that
        must show a new key at once) and whenever a pre-published key activates."""
        now_f = float(self._clock())
        ring = self._ring
        if ring is not None and now_f < self._fresh_until(ring, max_age):
            return ring
        if not self._lock.acquire(blocking=False):
            blocking.starts()  # a wait for another thread's reload
            self._lock.acquire()
        try:
            ring = self._ring
            if ring is not None and now_f < self._fresh_until(ring, max_age):
                return ring  # reloaded by another thread meanwhile
            return self._load(now_f)
        finally:
            self._lock.release()

    def published_jwks(self) -> dict[str, Any]:
        """The JWK Set as stored now, for the JWKS endpoint: a new key is in every
        server's JWKS the moment `keys rotate` stores it (docs/tokens.md), not up to
        RELOAD_SECONDS later. One small read per JWKS request, which clients cache."""
        return self.keyring(max_age=0.0).jwks

    def reloaded_for_unknown_kid(self, token: str) -> KeyRing | None:
        """A freshly read ring when ``token`` names a kid the cached ring does not publish,
        else None; for a token that failed verification. Another process may sign with a
        key this one has not loaded yet (a first key, a clock ahead of this one), and its
        tokens must verify here too. At most one such read a second."""
        try:
            kid = unverified_header(token).get("kid")
        except TokenVerificationError:
            return None  # not a JWS at all
        ring = self.keyring()
        if not isinstance(kid, str) or kid in ring.published_kids:
            return None
        now_f = float(self._clock())
        if now_f - self._unknown_kid_reload_at < _UNKNOWN_KID_RELOAD_SECONDS:
            return None
        self._unknown_kid_reload_at = now_f
        return self.keyring(max_age=0.0)

    def _fresh_until(self, ring: KeyRing, max_age: float) -> float:
        return min(self._ring_valid_until, ring.loaded_at + max_age)

    def _load(self, now_f: float) -> KeyRing:
        now = int(now_f)
        keys = self._repository.all()
        signing: dict[str, PrivateKey] = {}
        for alg in SIGNING_ALGS:
            stored = signing_key_for(keys, alg, now)
            if stored is not None:
                signing[alg] = self._private(stored)
        jwks = {"keys": [k.public_jwk for k in keys if is_published(k, now)]}
        upcoming = [k.activates_at for k in keys if k.activates_at > now]
        upcoming += [k.retired_at for k in keys if k.retired_at and k.retired_at > now]
        self._ring = KeyRing(
            signing=signing, jwks=jwks, verification_keys=public_keyset(jwks), loaded_at=now_f
        )
        self._ring_valid_until = min([now_f + RELOAD_SECONDS, *[float(u) for u in upcoming]])
        return self._ring

    def _private(self, stored: StoredKey) -> PrivateKey:
        cached = self._private_cache.get(stored.kid)
        if cached is None:
            pem = self._encryptor.decrypt(self._repository.private_key(stored.kid), kid=stored.kid)
            cached = load_private_key(pem, stored.kid, stored.alg)
            self._private_cache[stored.kid] = cached
        return cached
