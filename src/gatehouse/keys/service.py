"""Key life cycle: first keys, rotation, and a per-process cache of the loaded key ring."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from gatehouse import blocking
from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.keys.jose import (
    PrivateKey,
    generate_signing_key,
    load_private_key,
    public_keyset,
)
from gatehouse.keys.keyring import KeyRing, is_published, plan_rotation, signing_key_for
from gatehouse.storage.records import StoredKey
from gatehouse.storage.repositories import KeyRepository

SUPPORTED_ALGS = ("RS256", "ES256")
# Other processes may rotate keys; each process re-reads the key table this often.
_RELOAD_SECONDS = 30.0


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
            for alg in SUPPORTED_ALGS
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

    def keyring(self) -> KeyRing:
        """The cached ring; reloaded every 30 s and whenever a pre-published key activates."""
        now_f = float(self._clock())
        ring = self._ring
        if ring is not None and now_f < self._ring_valid_until:
            return ring
        if not self._lock.acquire(blocking=False):
            blocking.starts()  # a wait for another thread's reload
            self._lock.acquire()
        try:
            if self._ring is not None and now_f < self._ring_valid_until:
                return self._ring
            now = int(now_f)
            keys = self._repository.all()
            signing: dict[str, PrivateKey] = {}
            for alg in SUPPORTED_ALGS:
                stored = signing_key_for(keys, alg, now)
                if stored is not None:
                    signing[alg] = self._private(stored)
            jwks = {"keys": [k.public_jwk for k in keys if is_published(k, now)]}
            upcoming = [k.activates_at for k in keys if k.activates_at > now]
            upcoming += [k.retired_at for k in keys if k.retired_at and k.retired_at > now]
            valid_until = min([now_f + _RELOAD_SECONDS, *[float(u) for u in upcoming]])
            self._ring = KeyRing(
                signing=signing,
                jwks=jwks,
                verification_keys=public_keyset(jwks),
                loaded_at=now_f,
            )
            self._ring_valid_until = valid_until
            return self._ring
        finally:
            self._lock.release()

    def _private(self, stored: StoredKey) -> PrivateKey:
        cached = self._private_cache.get(stored.kid)
        if cached is None:
            pem = self._encryptor.decrypt(self._repository.private_key(stored.kid), kid=stored.kid)
            cached = load_private_key(pem, stored.kid, stored.alg)
            self._private_cache[stored.kid] = cached
        return cached
