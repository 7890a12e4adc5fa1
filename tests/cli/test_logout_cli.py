"""The logout parts of the command line: clients' back-channel and front-channel logout
URIs (`client create|update|show`, `apply`), and `gatehouse user sign-out`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from tests.cli.conftest import Gatehouse
from tests.cli.test_apply import write
from tests.support.factories import make_client, make_user
from tests.unit.storage.sql.test_repositories import new_session

BC = "https://rp.example.com/backchannel"
FC = "https://rp.example.com/frontchannel"
CB = ["--redirect-uri", "https://rp.example.com/cb"]


def test_create_update_show_and_clear_the_logout_uris(gh: Gatehouse) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "rp", *CB,
        "--backchannel-logout-uri", BC, "--frontchannel-logout-uri", FC,
        "--no-frontchannel-logout-session-required",
    )  # fmt: skip
    assert created["backchannel_logout_uri"] == BC
    assert created["backchannel_logout_session_required"] is True
    assert created["frontchannel_logout_uri"] == FC
    assert created["frontchannel_logout_session_required"] is False
    loopback = "http://127.0.0.1:9000/bc"
    gh.ok("client", "update", "rp", "--backchannel-logout-uri", loopback)
    shown = gh.ok("client", "show", "rp")
    assert (shown["backchannel_logout_uri"], shown["frontchannel_logout_uri"]) == (loopback, FC)
    cleared = gh.ok("client", "update", "rp", "--backchannel-logout-uri", "")
    assert cleared["backchannel_logout_uri"] is None and cleared["frontchannel_logout_uri"] == FC


@pytest.mark.parametrize(
    ("option", "uri", "message"),
    [
        ("--backchannel-logout-uri", "http://rp.example.com/bc", "plain http is allowed only"),
        (
            "--backchannel-logout-uri",
            "https://rp.example.com/bc#top",
            "must not contain a fragment",
        ),
        ("--backchannel-logout-uri", "/bc", "absolute http or https URL"),
        ("--frontchannel-logout-uri", "javascript:alert(1)", "absolute http or https URL"),
        ("--frontchannel-logout-uri", "https://u:p@rp.example.com/fc", "no user name"),
        ("--frontchannel-logout-uri", "https://rp.example.com:99999/fc", "valid port"),
        ("--frontchannel-logout-uri", "https://rp example/fc", "without spaces"),
    ],
)
def test_a_bad_logout_uri_is_one_clear_line(
    gh: Gatehouse, runtime: Runtime, option: str, uri: str, message: str
) -> None:
    line = gh.fails("client", "create", "--client-id", "rp", *CB, option, uri)
    assert message in line and option.lstrip("-").replace("-", "_") in line
    assert runtime.store.clients.get("rp") is None


def test_user_sign_out_ends_every_session_and_reports_it(gh: Gatehouse, runtime: Runtime) -> None:
    alice = str(make_user(runtime, "alice")["id"])
    make_client(runtime, "rp", backchannel_logout_uri=BC)
    sessions = []
    for _ in range(2):
        session = new_session(alice, expires_at=2**40)
        runtime.store.sessions.create(sha256_digest(random_token()), session)
        sessions.append(session.sid)
    runtime.store.sessions.record_client(sessions[0], "rp", 0)
    report = gh.ok("user", "sign-out", "alice")
    assert report["user"] == alice and report["username"] == "alice"
    assert sorted(report["sessions_ended"], key=lambda s: s["sid"]) == sorted(
        [
            {"sid": sessions[0], "clients": ["rp"], "backchannel_logouts_queued": ["rp"]},
            {"sid": sessions[1], "clients": [], "backchannel_logouts_queued": []},
        ],
        key=lambda s: str(s["sid"]),
    )
    assert [d.client_id for d in runtime.store.logout_deliveries.list()] == ["rp"]
    assert gh.ok("user", "sign-out", "alice")["sessions_ended"] == []  # nothing left to end
    which = SessionSelector(user_id=alice)
    assert runtime.store.sessions.end_sessions(which, 0, "logout", "user") == []


def test_user_sign_out_of_an_unknown_user_is_one_line(gh: Gatehouse) -> None:
    assert gh.fails("user", "sign-out", "nobody") == "error: no user 'nobody'"


APPLIED = """\
clients:
  - client_id: rp
    redirect_uris: [https://rp.example.com/cb]
    backchannel_logout_uri: https://rp.example.com/backchannel
    frontchannel_logout_uri: https://rp.example.com/frontchannel
    frontchannel_logout_session_required: false
"""


def test_apply_sets_the_logout_uris_idempotently(gh: Gatehouse, tmp_path: Path) -> None:
    first = gh.ok("apply", write(tmp_path, APPLIED))
    assert first["changes"][0]["action"] == "created"
    shown = gh.ok("client", "show", "rp")
    assert (shown["backchannel_logout_uri"], shown["frontchannel_logout_uri"]) == (BC, FC)
    assert shown["frontchannel_logout_session_required"] is False
    assert gh.ok("apply", write(tmp_path, APPLIED))["changed"] == 0
    cleared = APPLIED.replace("backchannel_logout_uri: https://rp.example.com/backchannel",
                              'backchannel_logout_uri: ""')  # fmt: skip
    change = gh.ok("apply", write(tmp_path, cleared, "v2.yaml"))["changes"][0]
    assert change["fields"] == ["backchannel_logout_uri"]
    assert gh.ok("client", "show", "rp")["backchannel_logout_uri"] is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    backchannel_logout_uri: http://rp.example.com/bc", "plain http is allowed only"),
        ("    frontchannel_logout_uri: [https://rp.example.com/fc]", "must be a string"),
        ("    backchannel_logout_session_required: maybe", "must be true or false"),
    ],
)
def test_apply_names_the_entry_of_a_bad_logout_setting(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, line: str, message: str
) -> None:
    text = "clients:\n  - client_id: rp\n    redirect_uris: [https://rp.example.com/cb]\n"
    error = gh.fails("apply", write(tmp_path, text + line + "\n"))
    assert "clients[0]" in error and message in error
    assert runtime.store.clients.get("rp") is None
