"""The per-process caches (storage/sql/cache.py), above all the registry cache — client
registrations, the API catalogue, app-role grants, the policy: a process sees its own writes
at once and another process's writes within CACHE_SECONDS — the bound docs/security.md
promises for a revoked client secret or a removed API scope — and, while nothing changes,
reads nothing again however long it runs.

"Another process" is a second SqlStore on the same database with a clock of its own: its
repositories have caches of their own and it reads the registry revisions on that clock,
exactly as a second worker would."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from gatehouse.admin import apis as api_admin
from gatehouse.admin import clients as client_admin
from gatehouse.admin import policy as policy_admin
from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin.tenants import create_tenant, delete_tenant
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.cache import CACHE_SECONDS, ProcessCache
from gatehouse.storage.sql.store import SqlStore
from tests.support.factories import ORDERS_API, make_api, make_client
from tests.support.tenants import tenant_runtimes


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def worker(runtime: Runtime, clock: Clock) -> SqlStore:
    return SqlStore(runtime.database, runtime.store.tenant_id, cache_clock=clock)


def usable_secret_ids(store: SqlStore, client_id: str) -> set[str]:
    found = store.clients.get_for_authentication(client_id)
    assert found is not None
    _client, secrets = found
    return {s.id for s in secrets if s.usable_at(int(time.time()))}


# -- the cache itself ----------------------------------------------------------------------------


def test_an_entry_lives_for_its_lifetime_and_no_longer() -> None:
    clock = Clock()
    cache: ProcessCache[str, int] = ProcessCache(seconds=5, clock=clock)
    cache.put("k", 1, cache.generation())
    clock.now += 4.9
    assert cache.get("k") == 1
    clock.now += 0.1
    assert cache.get("k") is None


def test_a_value_read_before_an_invalidation_is_not_kept() -> None:
    cache: ProcessCache[str, int] = ProcessCache()
    generation = cache.generation()
    cache.invalidate()  # a write committed while the value was being read
    cache.put("k", 1, generation)
    assert cache.get("k") is None


def test_invalidate_drops_every_entry() -> None:
    cache: ProcessCache[str, int] = ProcessCache()
    cache.put("a", 1, cache.generation())
    cache.put("b", 2, cache.generation())
    cache.invalidate()
    assert cache.get("a") is None and cache.get("b") is None


def test_discard_drops_one_entry_and_a_value_read_before_it() -> None:
    cache: ProcessCache[str, int] = ProcessCache()
    cache.put("a", 1, cache.generation())
    cache.put("b", 2, cache.generation())
    before = cache.generation()
    cache.discard("a")
    cache.put("a", 1, before)  # read before the write that discarded it: not kept
    assert (cache.get("a"), cache.get("b")) == (None, 2)


def test_a_full_cache_starts_over_instead_of_growing() -> None:
    cache: ProcessCache[int, int] = ProcessCache(max_entries=3)
    for key in range(10):
        cache.put(key, key, cache.generation())
    assert len([k for k in range(10) if cache.get(k) is not None]) <= 3
    assert cache.get(9) == 9


# -- client secrets --------------------------------------------------------------------------------


def test_a_secret_revoked_by_another_process_stops_working_within_the_cache_lifetime(
    runtime: Runtime,
) -> None:
    make_client(runtime, "web")
    added = client_admin.add_secret(runtime, "web", None, None)
    clock = Clock()
    other = worker(runtime, clock)
    assert added["secret_id"] in usable_secret_ids(other, "web")  # cached by the other worker

    client_admin.revoke_secret(runtime, "web", added["secret_id"])  # e.g. the CLI

    clock.now += CACHE_SECONDS - 0.5
    assert added["secret_id"] in usable_secret_ids(other, "web")  # the documented window
    clock.now += 0.5
    assert added["secret_id"] not in usable_secret_ids(other, "web")


def test_a_process_sees_its_own_secret_revocation_at_once(runtime: Runtime) -> None:
    make_client(runtime, "web")
    added = client_admin.add_secret(runtime, "web", None, None)
    assert added["secret_id"] in usable_secret_ids(runtime.store, "web")
    client_admin.revoke_secret(runtime, "web", added["secret_id"])
    assert added["secret_id"] not in usable_secret_ids(runtime.store, "web")


def test_a_deleted_client_is_gone_for_another_process_within_the_cache_lifetime(
    runtime: Runtime,
) -> None:
    make_client(runtime, "web")
    clock = Clock()
    other = worker(runtime, clock)
    assert other.clients.get_for_authentication("web") is not None
    client_admin.delete_client(runtime, "web")
    clock.now += CACHE_SECONDS
    assert other.clients.get_for_authentication("web") is None


def test_an_unknown_client_is_not_cached(runtime: Runtime) -> None:
    other = worker(runtime, Clock())
    assert other.clients.get_for_authentication("late") is None
    make_client(runtime, "late")
    assert other.clients.get_for_authentication("late") is not None  # at once


# -- the API catalogue -----------------------------------------------------------------------------


def scope_names(store: SqlStore) -> set[str]:
    return {s.name for api in store.apis.list() for s in api.scopes}


def test_an_api_scope_removed_by_another_process_is_gone_within_the_cache_lifetime(
    runtime: Runtime,
) -> None:
    make_api(runtime, scopes=("orders.read", "orders.write"))
    clock = Clock()
    other = worker(runtime, clock)
    assert scope_names(other) == {"orders.read", "orders.write"}

    api_admin.save_api(
        runtime, api_admin.ApiSpec(ORDERS_API, scopes=[("orders.read", "Read")]), create=False
    )

    clock.now += CACHE_SECONDS - 0.5
    assert "orders.write" in scope_names(other)
    clock.now += 0.5
    assert scope_names(other) == {"orders.read"}


def test_a_process_sees_its_own_api_changes_at_once(runtime: Runtime) -> None:
    assert runtime.store.apis.list() == []
    make_api(runtime)
    assert [a.identifier for a in runtime.store.apis.list()] == [ORDERS_API]
    api_admin.delete_api(runtime, ORDERS_API)
    assert runtime.store.apis.list() == []


def test_an_app_role_revoked_by_another_process_is_gone_within_the_cache_lifetime(
    runtime: Runtime,
) -> None:
    make_api(runtime)
    make_client(runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[])
    api_admin.grant_app_role(runtime, "daemon", ORDERS_API, "orders.export")
    clock = Clock()
    other = worker(runtime, clock)
    assert other.apis.granted_roles("daemon", ORDERS_API) == {"orders.export"}

    api_admin.revoke_app_role(runtime, "daemon", ORDERS_API, "orders.export")

    clock.now += CACHE_SECONDS - 0.5
    assert other.apis.granted_roles("daemon", ORDERS_API) == {"orders.export"}
    clock.now += 0.5
    assert other.apis.granted_roles("daemon", ORDERS_API) == frozenset()


def test_a_process_sees_its_own_app_role_changes_at_once(runtime: Runtime) -> None:
    make_api(runtime)
    make_client(runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[])
    apis = runtime.store.apis
    assert apis.granted_roles("daemon", ORDERS_API) == frozenset()
    api_admin.grant_app_role(runtime, "daemon", ORDERS_API, "orders.export")
    assert apis.granted_roles("daemon", ORDERS_API) == {"orders.export"}
    api_admin.revoke_app_role(runtime, "daemon", ORDERS_API, "orders.export")
    assert apis.granted_roles("daemon", ORDERS_API) == frozenset()


def test_deleting_a_client_drops_its_cached_app_roles_at_once(runtime: Runtime) -> None:
    # The client repository's delete removes the grants; the cache both repositories share
    # must not hand them to a client recreated under the same id.
    make_api(runtime)
    make_client(runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[])
    api_admin.grant_app_role(runtime, "daemon", ORDERS_API, "orders.export")
    assert runtime.store.apis.granted_roles("daemon", ORDERS_API) == {"orders.export"}
    client_admin.delete_client(runtime, "daemon")
    make_client(runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[])
    assert runtime.store.apis.granted_roles("daemon", ORDERS_API) == frozenset()


# -- the registry revision -------------------------------------------------------------------------


def registry_revision(runtime: Runtime, tenant_id: str = "default") -> int:
    with runtime.database.read() as conn:
        found = conn.execute(
            sa.select(t.tenants.c.registry_revision).where(t.tenants.c.id == tenant_id)
        ).scalar_one()
    return int(found)


@contextmanager
def statements_run(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):  # SQLite's own
            seen.append(statement)

    sa.event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", record)


def registry_of(runtime: Runtime) -> dict[str, str]:
    """A daemon with a secret and an app role, the orders API and a token exchange grant:
    something for every write below to change. Returns the daemon's secret's id."""
    make_api(runtime)
    make_client(
        runtime,
        "daemon",
        grant_types=["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
        redirect_uris=[],
    )
    api_admin.grant_app_role(runtime, "daemon", ORDERS_API, "orders.export")
    exchange_admin.grant_token_exchange(runtime, "daemon", ORDERS_API)
    return {"secret_id": client_admin.add_secret(runtime, "daemon", None, None)["secret_id"]}


def read_everything(store: SqlStore) -> None:
    """What a token request reads from the registry cache."""
    store.clients.get_for_authentication("daemon")
    store.apis.list()
    store.apis.granted_roles("daemon", ORDERS_API)
    store.apis.exchange_grant("daemon", ORDERS_API)
    store.policy.get()


def renamed(runtime: Runtime) -> None:
    client = runtime.store.clients.get("daemon")
    assert client is not None
    runtime.store.clients.update(client.__class__(**{**client.__dict__, "name": "Renamed"}))


WRITES: dict[str, Callable[[Runtime, dict[str, str]], object]] = {
    "create a client": lambda r, _: make_client(r, "other"),
    "update a client": lambda r, _: renamed(r),
    "add a secret": lambda r, _: client_admin.add_secret(r, "daemon", None, None),
    "replace the secrets": lambda r, _: r.store.clients.replace_secrets("daemon", None),
    "revoke a secret": lambda r, made: client_admin.revoke_secret(r, "daemon", made["secret_id"]),
    "delete a client": lambda r, _: client_admin.delete_client(r, "daemon"),
    "save an API": lambda r, _: make_api(r, "https://invoices.example.com"),
    "delete an API": lambda r, _: api_admin.delete_api(r, ORDERS_API),
    "grant an app role": lambda r, _: api_admin.grant_app_role(
        r, "daemon", ORDERS_API, "orders.admin"
    ),
    "revoke an app role": lambda r, _: api_admin.revoke_app_role(
        r, "daemon", ORDERS_API, "orders.export"
    ),
    "grant token exchange": lambda r, _: exchange_admin.grant_token_exchange(
        r, "daemon", ORDERS_API, impersonation=True
    ),
    "revoke token exchange": lambda r, _: exchange_admin.revoke_token_exchange(
        r, "daemon", ORDERS_API
    ),
    "set the policy": lambda r, _: policy_admin.set_policy(r, ("lockout_duration=600",), ()),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_every_registry_write_raises_the_tenant_s_revision_for_other_processes(
    runtime: Runtime, write: str
) -> None:
    # A write that did not would be seen by no other process until it restarted: the
    # registry cache keeps its entries until the revision moves.
    made = registry_of(runtime)
    clock = Clock()
    other = worker(runtime, clock)
    read_everything(other)
    before = registry_revision(runtime)

    WRITES[write](runtime, made)

    assert registry_revision(runtime) > before
    clock.now += CACHE_SECONDS
    with statements_run(runtime) as seen:
        read_everything(other)
    assert any("FROM clients" in s for s in seen)  # read again, not served from the cache


def test_while_nothing_changes_the_registry_is_not_read_again(runtime: Runtime) -> None:
    registry_of(runtime)
    clock = Clock()
    other = worker(runtime, clock)
    read_everything(other)
    clock.now += 100 * CACHE_SECONDS
    with statements_run(runtime) as seen:
        for _ in range(3):
            read_everything(other)
    # One statement: every tenant's registry revision, read once per CACHE_SECONDS.
    assert len(seen) == 1 and "registry_revision" in seen[0]


def test_a_change_in_another_tenant_keeps_this_tenant_s_cached_registry(
    runtime: Runtime,
) -> None:
    registry_of(runtime)
    create_tenant(runtime, "acme")
    acme = SqlStore(runtime.database, "acme")
    clock = Clock()
    other = worker(runtime, clock)
    read_everything(other)
    acme_before = registry_revision(runtime, "acme")
    acme.policy.update(acme.policy.get())
    assert registry_revision(runtime, "acme") > acme_before
    clock.now += CACHE_SECONDS
    with statements_run(runtime) as seen:
        read_everything(other)
    assert len(seen) == 1 and "registry_revision" in seen[0]


def test_a_deleted_tenant_s_clients_are_gone_for_another_process_within_the_bound(
    runtime: Runtime,
) -> None:
    acme = tenant_runtimes(runtime, "acme").get("acme")
    assert acme is not None
    make_client(acme, "web")
    clock = Clock()
    other = SqlStore(runtime.database, "acme", cache_clock=clock)
    assert other.clients.get_for_authentication("web") is not None
    delete_tenant(runtime, "acme")
    clock.now += CACHE_SECONDS
    assert other.clients.get_for_authentication("web") is None
