"""storage.sql.pushed_requests: a pushed authorization request is spent once, by its own
client, before it expires (RFC 9126 §4), decided by one conditional UPDATE; the request_uri
is stored only as a hash; and the purge removes expired ones."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from gatehouse.crypto import sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import PushedRequest
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.purge import purge_expired

NOW = int(time.time())
URI = "urn:ietf:params:oauth:request_uri:abc"


def pushed() -> PushedRequest:
    return PushedRequest(
        request_uri_hash=sha256_digest(URI),
        client_id="web",
        parameters={"scope": ["openid"], "resource": ["https://a", "https://b"]},
        created_at=NOW,
        expires_at=NOW + 60,
    )


def test_a_pushed_request_is_consumed_once_by_its_client(runtime: Runtime, web: str) -> None:
    repo = runtime.store.pushed_requests
    repo.create(pushed())
    digest = sha256_digest(URI)
    assert repo.consume(digest, "other", NOW) is None  # another client's: not spent
    spent = repo.consume(digest, "web", NOW + 1)
    assert spent is not None
    assert spent.parameters == {"scope": ["openid"], "resource": ["https://a", "https://b"]}
    assert spent.used_at == NOW + 1
    assert repo.consume(digest, "web", NOW + 2) is None
    stored = repo.get(digest)
    assert stored is not None and stored.used_at == NOW + 1


def test_an_expired_or_unknown_request_is_not_consumed(runtime: Runtime, web: str) -> None:
    repo = runtime.store.pushed_requests
    repo.create(pushed())
    assert repo.consume(sha256_digest(URI), "web", NOW + 60) is None
    assert repo.consume(sha256_digest("nope"), "web", NOW) is None
    assert repo.get(sha256_digest("nope")) is None


def test_racing_uses_have_exactly_one_winner(runtime: Runtime, web: str) -> None:
    runtime.store.pushed_requests.create(pushed())
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def use() -> None:
        barrier.wait()
        spent = runtime.store.pushed_requests.consume(sha256_digest(URI), "web", NOW)
        results.append(spent is not None)

    threads = [threading.Thread(target=use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_only_the_hash_is_stored_and_the_purge_removes_expired(runtime: Runtime, web: str) -> None:
    runtime.store.pushed_requests.create(pushed())
    table = t.pushed_authorization_requests
    with runtime.database.read() as conn:
        assert conn.execute(sa.select(table.c.request_uri_hash)).scalars().all() == [
            sha256_digest(URI)
        ]
    purge_expired(runtime.database, NOW + 61, 1800)
    with runtime.database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
