"""`gatehouse keys …`: signing keys and rotation."""

from __future__ import annotations

from typing import Any

from gatehouse.keys.keyring import PUBLICATION_LEAD_SECONDS
from gatehouse.runtime import Runtime
from tests.cli.conftest import Gatehouse


def by_state(keys: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    states: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        states.setdefault((key["alg"], key["state"]), []).append(key["kid"])
    return states


def test_list_shows_one_signing_key_per_algorithm(gh: Gatehouse) -> None:
    keys = gh.ok("keys", "list")
    assert sorted((k["alg"], k["state"]) for k in keys) == [
        ("ES256", "signing"),
        ("RS256", "signing"),
    ]
    assert {"kid", "created_at", "activates_at", "retired_at", "published_until"} <= set(keys[0])


def test_rotate_with_a_delay_pre_publishes(gh: Gatehouse, runtime: Runtime) -> None:
    before = by_state(gh.ok("keys", "list"))
    rotated = gh.ok("keys", "rotate", "--alg", "RS256", "--delay", "3600")
    (created,) = rotated["created"]
    assert (created["alg"], created["state"]) == ("RS256", "pre-published")
    assert created["activates_at"] - created["created_at"] == 3600

    after = by_state(gh.ok("keys", "list"))
    # The old key signs until the switch; the new one is in the JWKS already.
    assert after[("RS256", "signing")] == before[("RS256", "signing")]
    assert after[("RS256", "pre-published")] == [created["kid"]]
    assert after[("ES256", "signing")] == before[("ES256", "signing")]
    published = {jwk["kid"] for jwk in runtime.keys.keyring().jwks["keys"]}
    assert created["kid"] in published


def test_rotate_without_delay_switches_once_every_server_publishes_the_key(
    gh: Gatehouse, runtime: Runtime
) -> None:
    # Issue 11 item 9: --delay 0 switched at once, before other server processes published
    # the key. It now switches after their next reload, PUBLICATION_LEAD_SECONDS later.
    before = by_state(gh.ok("keys", "list"))
    rotated = gh.ok("keys", "rotate", "--alg", "ES256", "--delay", "0")
    (created,) = rotated["created"]
    assert (created["alg"], created["state"]) == ("ES256", "pre-published")
    assert created["activates_at"] - created["created_at"] == PUBLICATION_LEAD_SECONDS

    after = by_state(gh.ok("keys", "list"))
    (old,) = before[("ES256", "signing")]
    assert after[("ES256", "signing")] == [old]
    assert after[("ES256", "pre-published")] == [created["kid"]]
    retired = next(k for k in gh.ok("keys", "list") if k["kid"] == old)
    assert retired["retired_at"] == created["activates_at"]
    # Published after it stopped signing for as long as a token it signed is of use: an ID
    # token serves as id_token_hint for the SSO session's absolute lifetime (10 h by
    # default), longer than any token lives.
    assert retired["published_until"] - retired["retired_at"] == 36000


def test_rotate_every_algorithm_by_default(gh: Gatehouse) -> None:
    rotated = gh.ok("keys", "rotate", "--delay", "60")
    assert sorted(k["alg"] for k in rotated["created"]) == ["ES256", "RS256"]
    assert {k["state"] for k in rotated["created"]} == {"pre-published"}


def test_rotate_uses_the_configured_delay(gh: Gatehouse) -> None:
    rotated = gh.ok("keys", "rotate", "--alg", "RS256", GATEHOUSE_KEY_ROTATION_DELAY="120")
    (created,) = rotated["created"]
    assert created["activates_at"] - created["created_at"] == 120


def test_rotate_rejects_unknown_algorithms_and_negative_delays(gh: Gatehouse) -> None:
    for args in (["--alg", "HS256"], ["--alg", "none"], ["--delay", "-5"]):
        result = gh("keys", "rotate", *args)
        assert result.exit_code == 2  # click's usage error
        assert "Traceback" not in result.stderr
