"""keys.keyring: which key signs and which keys are published, as pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gatehouse.keys.keyring import (
    PUBLICATION_LEAD_SECONDS,
    RELOAD_SECONDS,
    KeyRing,
    is_published,
    plan_rotation,
    signing_key_for,
)
from gatehouse.storage.records import StoredKey

NOW = 1_700_000_000


def key(kid: str, alg: str = "RS256", **fields: int | None) -> StoredKey:
    values: dict[str, int | None] = {
        "created_at": NOW - 1000,
        "activates_at": NOW - 1000,
        "retired_at": None,
        "published_until": None,
    }
    values.update(fields)
    return StoredKey(kid=kid, alg=alg, public_jwk={"kid": kid}, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("published_until", "published"),
    [(None, True), (NOW + 1, True), (NOW, False), (NOW - 1, False)],
)
def test_is_published(published_until: int | None, published: bool) -> None:
    assert is_published(key("k", published_until=published_until), NOW) is published


def test_a_pre_published_key_is_published_before_it_signs() -> None:
    upcoming = key("new", created_at=NOW, activates_at=NOW + 3600)
    assert is_published(upcoming, NOW)
    assert signing_key_for([upcoming], "RS256", NOW) is None


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ([], None),
        ([key("a")], "a"),
        ([key("a", alg="ES256")], None),  # another algorithm's key never signs for this one
        ([key("a", activates_at=NOW)], "a"),  # activation is inclusive
        ([key("a", activates_at=NOW + 1)], None),  # pre-published, not yet signing
        ([key("a", retired_at=NOW)], None),  # retirement is inclusive
        ([key("a", retired_at=NOW + 1)], "a"),  # retiring later: still signs now
        ([key("a", retired_at=NOW - 5, published_until=NOW + 100)], None),
        # The newest activated key wins …
        ([key("old", activates_at=NOW - 10), key("new", activates_at=NOW - 5)], "new"),
        ([key("new", activates_at=NOW - 5), key("old", activates_at=NOW - 10)], "new"),
        # … ties go to the later created …
        ([key("a", created_at=NOW - 9), key("b", created_at=NOW - 8)], "b"),
        # … and a newer key that has not activated yet does not displace the current one.
        ([key("cur"), key("next", created_at=NOW, activates_at=NOW + 60)], "cur"),
    ],
)
def test_signing_key_for(keys: list[StoredKey], expected: str | None) -> None:
    chosen = signing_key_for(keys, "RS256", NOW)
    assert (chosen.kid if chosen else None) == expected


def test_plan_rotation_switches_after_the_delay_and_keeps_old_keys_published() -> None:
    keys = [key("rs-old"), key("es", alg="ES256")]
    plan = plan_rotation(keys, "RS256", NOW, timedelta(hours=24), timedelta(hours=1))
    switch = NOW + 24 * 3600
    assert plan.alg == "RS256"
    assert plan.new_key_activates_at == switch
    # Signs until the switch, then stays published for the longest token lifetime.
    assert plan.retire == [("rs-old", switch, switch + 3600)]


@pytest.mark.parametrize("delay", [0, 1, PUBLICATION_LEAD_SECONDS - 1])
def test_plan_rotation_switches_no_sooner_than_every_process_publishes_the_key(
    delay: int,
) -> None:
    # Issue 11 item 9: with --delay 0 a process that reloaded at once signed with a key
    # other processes did not publish yet. However short the delay, the switch waits for
    # every process's next reload.
    plan = plan_rotation([key("a")], "RS256", NOW, timedelta(seconds=delay), timedelta(minutes=5))
    switch = NOW + PUBLICATION_LEAD_SECONDS
    assert plan.new_key_activates_at == switch
    assert plan.retire == [("a", switch, switch + 300)]


def test_the_publication_lead_outlasts_the_reload_interval() -> None:
    assert PUBLICATION_LEAD_SECONDS > RELOAD_SECONDS


def test_plan_rotation_leaves_keys_already_retired_before_the_switch_alone() -> None:
    keys = [
        key("long-gone", retired_at=NOW - 7200, published_until=NOW - 3600),
        key("retiring-soon", retired_at=NOW + 10, published_until=NOW + 3610),
        key("current"),
    ]
    plan = plan_rotation(keys, "RS256", NOW, timedelta(seconds=60), timedelta(hours=1))
    assert [kid for kid, _, _ in plan.retire] == ["current"]


def test_plan_rotation_pulls_in_a_later_retirement_and_a_pending_key() -> None:
    # A second rotation before the first switch: the first rotation's pending key and the
    # key it was going to retire both stop at the new switch time.
    keys = [
        key("current", retired_at=NOW + 7200, published_until=NOW + 10800),
        key("pending", created_at=NOW - 10, activates_at=NOW + 7200),
    ]
    plan = plan_rotation(keys, "RS256", NOW, timedelta(seconds=600), timedelta(hours=1))
    assert plan.retire == [
        ("current", NOW + 600, NOW + 4200),
        ("pending", NOW + 600, NOW + 4200),
    ]


def test_plan_rotation_ignores_other_algorithms() -> None:
    plan = plan_rotation([key("es", alg="ES256")], "RS256", NOW, timedelta(0), timedelta(0))
    assert plan.retire == []


def test_rotation_plan_applied_gives_the_documented_timeline() -> None:
    """Pre-published now, signing from the switch, old key published until it has expired."""
    old = key("old")
    delay, lifetime = timedelta(hours=2), timedelta(hours=1)
    plan = plan_rotation([old], "RS256", NOW, delay, lifetime)
    ((kid, retired_at, published_until),) = plan.retire
    assert kid == "old"
    keys = [
        replace(old, retired_at=retired_at, published_until=published_until),
        key("new", created_at=NOW, activates_at=plan.new_key_activates_at),
    ]
    switch = NOW + 7200

    def state(at: int) -> tuple[str | None, set[str]]:
        signer = signing_key_for(keys, "RS256", at)
        return (signer.kid if signer else None), {k.kid for k in keys if is_published(k, at)}

    assert state(NOW) == ("old", {"old", "new"})
    assert state(switch - 1) == ("old", {"old", "new"})
    assert state(switch) == ("new", {"old", "new"})
    assert state(switch + 3600 - 1) == ("new", {"old", "new"})
    assert state(switch + 3600) == ("new", {"new"})


def test_keyring_signing_key_names_the_fix_when_missing() -> None:
    ring = KeyRing(signing={}, jwks={"keys": []}, verification_keys=None, loaded_at=0.0)  # type: ignore[arg-type]
    with pytest.raises(LookupError, match="gatehouse keys rotate"):
        ring.signing_key("RS256")


def test_keyring_published_kids() -> None:
    jwks = {"keys": [{"kid": "a"}, {"kid": "b"}]}
    ring = KeyRing(signing={}, jwks=jwks, verification_keys=None, loaded_at=0.0)  # type: ignore[arg-type]
    assert ring.published_kids == {"a", "b"}
