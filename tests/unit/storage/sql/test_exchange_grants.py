"""The token-exchange grants of ``ApiRepository`` (storage/sql/apis.py): idempotent grants,
the impersonation switch, the per-process cache seeing this process's writes at once, and
nothing inherited by a client re-created under the same id."""

from __future__ import annotations

import time

from gatehouse.runtime import Runtime
from gatehouse.storage.records import ExchangeGrant
from tests.support.factories import make_client

NOW = int(time.time())
API = "https://inventory.example.com"


def test_a_grant_is_made_changed_and_taken_back(runtime: Runtime, web: str) -> None:
    apis = runtime.store.apis
    assert apis.exchange_grant(web, API) is None  # the absence is cached ...
    assert apis.grant_exchange(ExchangeGrant(web, API), NOW) is True
    assert apis.exchange_grant(web, API) == ExchangeGrant(web, API)  # ... and dropped by a write
    assert apis.grant_exchange(ExchangeGrant(web, API), NOW) is False
    assert apis.grant_exchange(ExchangeGrant(web, API, impersonation=True), NOW) is True
    assert apis.exchange_grant(web, API) == ExchangeGrant(web, API, impersonation=True)
    assert apis.exchange_grants() == [ExchangeGrant(web, API, impersonation=True)]
    assert apis.exchange_grants("someone-else") == []
    assert apis.revoke_exchange(web, API) is True
    assert apis.revoke_exchange(web, API) is False
    assert apis.exchange_grant(web, API) is None


def test_a_recreated_client_inherits_no_exchange_grant(runtime: Runtime, web: str) -> None:
    apis = runtime.store.apis
    apis.grant_exchange(ExchangeGrant(web, API), NOW)
    runtime.store.clients.delete(web)
    make_client(runtime, web)
    assert apis.exchange_grant(web, API) is None
    assert apis.exchange_grants() == []
