"""The AdminConsentRepository contract (storage/admin_consents.py) on SQLite and PostgreSQL:
one record per client, and the grants that withdrawing one must look at."""

from __future__ import annotations

import time

from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.admin_consents import AdminConsent, LiveGrant
from tests.support.factories import make_client, make_user
from tests.unit.storage.sql.test_repositories import new_code, new_refresh_token

NOW = int(time.time())


def test_save_get_list_and_delete(runtime: Runtime) -> None:
    make_client(runtime, "web")
    make_client(runtime, "app")
    repo = runtime.store.admin_consents
    assert repo.get("web") is None and repo.list() == []
    first = AdminConsent("web", frozenset({"openid"}), NOW, NOW)
    repo.save(first)
    assert repo.get("web") == first
    replaced = AdminConsent("web", frozenset({"openid", "profile"}), NOW, NOW + 5)
    repo.save(replaced)
    repo.save(AdminConsent("app", frozenset({"email"}), NOW, NOW))
    assert repo.get("web") == replaced
    assert [c.client_id for c in repo.list()] == ["app", "web"]
    assert repo.delete("web") is True
    assert repo.delete("web") is False
    assert repo.get("web") is None


def test_deleting_the_client_deletes_its_admin_consent(runtime: Runtime) -> None:
    make_client(runtime, "web")
    runtime.store.admin_consents.save(AdminConsent("web", frozenset({"openid"}), NOW, NOW))
    assert runtime.store.clients.delete("web")
    assert runtime.store.admin_consents.get("web") is None


def test_live_grants_are_the_live_refresh_tokens_and_unredeemed_codes(runtime: Runtime) -> None:
    make_client(runtime, "web")
    make_client(runtime, "other")
    make_user(runtime)
    alice = find_user(runtime, "alice").id
    tokens, codes = runtime.store.refresh_tokens, runtime.store.codes
    live = new_refresh_token("web", alice, scopes=("openid", "profile"))
    tokens.create(live)
    tokens.create(new_refresh_token("web", alice, revoked_at=NOW))
    tokens.create(new_refresh_token("web", alice, expires_at=NOW - 1, idle_expires_at=NOW - 1))
    tokens.create(new_refresh_token("other", alice))
    code = new_code("web", alice, scopes=("openid", "email"))
    codes.create(code)
    codes.create(new_code("web", alice, used_at=NOW))
    found = runtime.store.admin_consents.live_grants("web", NOW)
    assert sorted(found, key=lambda g: g.grant_id) == sorted(
        [
            LiveGrant(live.grant_id, alice, frozenset({"openid", "profile"})),
            LiveGrant(code.grant_id, alice, frozenset({"openid", "email"})),
        ],
        key=lambda g: g.grant_id,
    )
