"""`gatehouse policy` and `gatehouse audit list`: JSON out, one-line errors, and every policy
change recorded in the audit log."""

from __future__ import annotations

from tests.cli.conftest import Gatehouse


def test_the_policy_starts_at_its_documented_defaults(gh: Gatehouse) -> None:
    shown = gh.ok("policy", "show")
    assert shown["changed_from_default"] == []
    assert shown["policy"]["lockout_duration"] == 900
    described = {entry["key"]: entry for entry in gh.ok("policy", "show", "--describe")}
    assert described["source_lockout_threshold"]["default"] == 10
    assert described["source_lockout_threshold"]["description"]


def test_set_changes_keys_reset_restores_and_both_are_audited(gh: Gatehouse) -> None:
    shown = gh.ok("policy", "set", "lockout_duration=PT1H", "source_lockout_threshold=20")
    assert shown["policy"]["lockout_duration"] == 3600
    assert shown["changed_from_default"] == ["lockout_duration", "source_lockout_threshold"]
    assert gh.ok("policy", "show") == shown
    reset = gh.ok("policy", "set", "--reset", "lockout_duration")
    assert reset["changed_from_default"] == ["source_lockout_threshold"]
    events = gh.ok("audit", "list", "--type", "admin.policy")
    assert [e["details"]["keys"] for e in events] == [
        ["lockout_duration"],
        ["lockout_duration", "source_lockout_threshold"],
    ]
    assert {e["actor"] for e in events} == {"operator"}
    assert events[0]["time"].endswith("Z")


def test_bad_policy_values_get_one_line_naming_the_key(gh: Gatehouse) -> None:
    assert "unknown policy key 'lockout_time'" in gh.fails("policy", "set", "lockout_time=5")
    assert "source_lockout_threshold" in gh.fails("policy", "set", "source_lockout_threshold=0")
    assert "not KEY=VALUE" in gh.fails("policy", "set", "lockout_duration")
    assert "at least login_delay_after_failures" in gh.fails(
        "policy", "set", "source_lockout_threshold=2"
    )
    # Nothing was stored by the refused commands.
    assert gh.ok("policy", "show")["changed_from_default"] == []
    assert gh.ok("audit", "list") == []


def test_audit_list_filters_and_refuses_what_it_cannot_read(gh: Gatehouse) -> None:
    gh.ok("policy", "set", "lockout_duration=600")
    assert len(gh.ok("audit", "list", "--since", "1h", "--until", "2999-01-01")) == 1
    assert gh.ok("audit", "list", "--since", "2999-01-01T00:00:00Z") == []
    assert gh.ok("audit", "list", "--user", "nobody-any-more") == []
    assert gh.ok("audit", "list", "--client", "web") == []
    assert "is not a time" in gh.fails("audit", "list", "--since", "yesterday")
    assert "matches no event type" in gh.fails("audit", "list", "--type", "sign")
    assert "--limit" in gh.fails("audit", "list", "--limit", "0")


def test_docs_list_every_event_type() -> None:
    from pathlib import Path

    from gatehouse.observability.audit import EVENT_TYPES

    page = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    assert [name for name in EVENT_TYPES if f"| `{name}` |" not in page] == []
