"""DeviceAuthorizationRepository's contracts (storage/device_authorizations.py), on SQLite and
PostgreSQL: one request per user code, polls by compare and set, one answer, one
redemption, and the purge."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from gatehouse.runtime import Runtime
from gatehouse.storage.records import DeviceApproval, DeviceAuthorization
from gatehouse.storage.sql.purge import purge_expired

NOW = 1_700_000_000


def new_request(**fields: Any) -> DeviceAuthorization:
    values: dict[str, Any] = {
        "device_code_hash": uuid.uuid4().hex * 2,
        "user_code_hash": uuid.uuid4().hex * 2,
        "client_id": "tv",
        "scopes": ("openid", "profile"),
        "resources": (),
        "created_at": NOW,
        "expires_at": NOW + 600,
        "poll_interval": 5,
    }
    values.update(fields)
    return DeviceAuthorization(**values)


APPROVAL = DeviceApproval("user-1", "grant-1", NOW - 30, ("pwd", "otp", "mfa"), "urn:x")


def test_a_request_reads_back_by_either_code(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    request = new_request()
    assert repo.create(request)
    assert repo.by_device_code(request.device_code_hash) == request
    assert repo.by_user_code(request.user_code_hash) == request
    assert repo.by_device_code("f" * 64) is None


def test_a_user_code_names_one_request(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    first = new_request()
    assert repo.create(first)
    assert not repo.create(new_request(user_code_hash=first.user_code_hash))
    assert repo.by_user_code(first.user_code_hash) == first


def test_a_poll_is_recorded_only_over_the_poll_it_read(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    request = new_request()
    repo.create(request)
    assert repo.record_poll(request.device_code_hash, None, NOW + 1, 5)
    # A second poll that read the same state loses.
    assert not repo.record_poll(request.device_code_hash, None, NOW + 1, 5)
    assert repo.record_poll(request.device_code_hash, NOW + 1, NOW + 2, 10)
    stored = repo.by_device_code(request.device_code_hash)
    assert stored is not None and (stored.last_polled_at, stored.poll_interval) == (NOW + 2, 10)


def test_one_answer_and_one_redemption(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    request = new_request()
    repo.create(request)
    assert not repo.redeem(request.device_code_hash, NOW)  # not approved yet
    assert repo.approve(request.device_code_hash, APPROVAL, NOW + 10)
    assert not repo.deny(request.device_code_hash, "user-2", NOW + 11)
    assert not repo.approve(request.device_code_hash, APPROVAL, NOW + 11)
    # An answered request takes no more polls.
    assert not repo.record_poll(request.device_code_hash, None, NOW + 12, 5)
    stored = repo.by_device_code(request.device_code_hash)
    assert stored is not None and stored.approval == APPROVAL
    assert (stored.status, stored.decided_at) == ("approved", NOW + 10)
    assert repo.redeem(request.device_code_hash, NOW + 20)
    assert not repo.redeem(request.device_code_hash, NOW + 21)


def test_a_denial_and_an_expired_request(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    denied, expired = new_request(), new_request(expires_at=NOW)
    repo.create(denied)
    repo.create(expired)
    assert repo.deny(denied.device_code_hash, "user-1", NOW)
    stored = repo.by_device_code(denied.device_code_hash)
    assert stored is not None and stored.status == "denied" and stored.approval is None
    assert not repo.approve(expired.device_code_hash, APPROVAL, NOW)
    assert not repo.deny(expired.device_code_hash, None, NOW)


def test_of_racing_redemptions_exactly_one_wins(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    request = new_request()
    repo.create(request)
    repo.approve(request.device_code_hash, APPROVAL, NOW)
    barrier = threading.Barrier(4)
    results: list[bool] = []

    def redeem() -> None:
        barrier.wait()
        results.append(repo.redeem(request.device_code_hash, NOW + 1))

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_the_purge_keeps_a_request_a_day_after_it_expired(runtime: Runtime) -> None:
    repo = runtime.store.device_authorizations
    old, recent = new_request(expires_at=NOW - 86_401), new_request(expires_at=NOW - 3600)
    repo.create(old)
    repo.create(recent)
    deleted = purge_expired(runtime.database, NOW, 1800)
    assert deleted["device_authorizations"] == 1
    assert repo.by_device_code(old.device_code_hash) is None
    assert repo.by_device_code(recent.device_code_hash) is not None
