"""`gatehouse user second-factors` and `gatehouse user reset-second-factors`: an operator
sees a person's second factors and removes them for someone who lost their phone."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.admin.policy import set_policy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery, Passkey
from tests.cli.conftest import Gatehouse
from tests.support.factories import make_client, make_user
from tests.support.flow import start_authorize, submit_login
from tests.support.mfa import enrol_totp


def _passkey(user_id: str, n: int) -> Passkey:
    return Passkey(
        id=f"pk{n}",
        user_id=user_id,
        credential_id=f"credential-{n}",
        public_key=b"cose key",
        sign_count=0,
        transports=("internal",),
        aaguid="00000000-0000-0000-0000-000000000000",
        backup_eligible=n == 1,
        backed_up=n == 1,
        user_handle=f"handle-{n}",
        name=f"Laptop {n}",
        created_at=1_800_000_000,
    )


def alice_with_everything(runtime: Runtime) -> str:
    user_id = str(make_user(runtime, "alice")["id"])
    enrol_totp(runtime)
    for n in (1, 2):
        assert runtime.store.passkeys.add(_passkey(user_id, n))
    return user_id


def test_the_second_factors_are_shown_without_a_secret(gh: Gatehouse, runtime: Runtime) -> None:
    user_id = alice_with_everything(runtime)
    shown = gh.ok("user", "second-factors", "alice@example.com")
    assert (shown["user_id"], shown["username"]) == (user_id, "alice")
    assert shown["authenticator_app"]["added_at"].endswith("Z")
    assert shown["recovery_codes_left"] == 10
    assert [(p["id"], p["name"], p["synced"]) for p in shown["passkeys"]] == [
        ("pk1", "Laptop 1", True),
        ("pk2", "Laptop 2", False),
    ]
    assert shown["passkeys"][0]["created_at"] == "2027-01-15T08:00:00Z"
    assert "secret" not in str(shown) and "public_key" not in str(shown)


def test_a_reset_removes_the_app_and_codes_and_keeps_passkeys_unless_asked(
    gh: Gatehouse, runtime: Runtime
) -> None:
    user_id = alice_with_everything(runtime)
    assert gh.ok("user", "reset-second-factors", "alice") == {
        "user_id": user_id,
        "username": "alice",
        "authenticator_app_removed": True,
        "passkeys_removed": 0,
    }
    shown = gh.ok("user", "second-factors", "alice")
    assert shown["authenticator_app"] is None and shown["recovery_codes_left"] == 0
    assert len(shown["passkeys"]) == 2

    again = gh.ok("user", "reset-second-factors", "alice", "--passkeys")
    assert (again["authenticator_app_removed"], again["passkeys_removed"]) == (False, 2)
    assert gh.ok("user", "second-factors", "alice")["passkeys"] == []
    events = runtime.store.audit.list(AuditQuery(types=("admin.user.second_factors_reset",)))
    assert sorted(
        (e.actor, e.user_id, e.username, e.details["passkeys_removed"]) for e in events
    ) == [
        ("operator", user_id, "alice", 0),
        ("operator", user_id, "alice", 2),
    ]


def test_after_a_reset_a_required_second_factor_is_set_up_again(
    gh: Gatehouse, runtime: Runtime, http: TestClient
) -> None:
    alice_with_everything(runtime)
    set_policy(runtime, ("mfa=required",), ())
    make_client(runtime)
    response, _ = start_authorize(http)
    response = submit_login(http, response.headers["location"])
    assert response.headers["location"].startswith("/login/verify?")  # the app's code
    http.cookies.clear()

    gh.ok("user", "reset-second-factors", "alice", "--passkeys")
    response, _ = start_authorize(http)
    response = submit_login(http, response.headers["location"])
    assert response.headers["location"].startswith("/mfa/totp/enroll?")


def test_unknown_users_are_one_line_errors(gh: Gatehouse) -> None:
    assert gh.fails("user", "second-factors", "nobody") == "error: no user 'nobody'"
    assert gh.fails("user", "reset-second-factors", "nobody") == "error: no user 'nobody'"
