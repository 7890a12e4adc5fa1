"""Password reset by an emailed link (docs/self-service.md): the same page whatever address
is typed, one short-lived single-use link, the policy on the new password, and everything
the old password opened ended."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.users import find_user, set_disabled
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.http.selfservice import (
    NEW_PASSWORD,
    deliver,
    local,
    only_message,
    settings,  # noqa: F401 - the fixture that sends email to the loopback server
    submit,
    switched_on,  # noqa: F401 - a fixture
)
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import csrf_from, get_tokens, install_clock, run_flow
from tests.support.smtp import Mailbox, link_in, text_of

pytestmark = pytest.mark.usefixtures("switched_on")


def forgot(http: TestClient, email: str) -> str:
    page = submit(http, "/password/forgot", "/password/forgot", email=email)
    assert page.status_code == 200, page.text
    return page.text


def reset_link(http: TestClient, runtime: Runtime, smtp: Mailbox, n: int = 1) -> str:
    forgot(http, "alice@example.com")
    deliver(runtime)
    return local(link_in(smtp.to("alice@example.com")[n - 1], "/password/reset"))


def choose(http: TestClient, link: str, password: str) -> tuple[int, str]:
    form = http.get(link)
    assert form.status_code == 200, form.text
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"csrf_token": csrf_from(form.text), "token": token.group(1), "password": password}
    answer = http.post("/password/reset", data=data)
    return answer.status_code, answer.text


@pytest.fixture
def alice(runtime: Runtime) -> str:
    return str(make_user(runtime, "alice", email_verified=False)["id"])


def test_the_page_is_the_same_whatever_address_is_typed(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    known = forgot(http, "alice@example.com")
    unknown = forgot(http, "nobody@example.com")
    by_username = forgot(http, "alice@other.example.com")
    assert "If an account uses" in known
    assert known.replace("alice@example.com", "X") == unknown.replace("nobody@example.com", "X")
    assert by_username.replace("alice@other.example.com", "X") == unknown.replace(
        "nobody@example.com", "X"
    )
    assert deliver(runtime) == 1
    message = only_message(smtp, "alice@example.com")
    assert message["Subject"] == "Reset your password" and "30 minutes" in text_of(message)
    requested = runtime.store.audit.list(AuditQuery(types=("password.reset_requested",)))
    assert [(e.user_id, e.username) for e in reversed(requested)] == [
        (alice, "alice@example.com"),
        (None, "nobody@example.com"),
        (None, "alice@other.example.com"),
    ]
    assert all(e.details == {} for e in requested)


def test_a_new_password_ends_everything_the_old_one_opened(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    client = make_client(runtime)
    tokens = get_tokens(http, client, scope="openid offline_access")
    link = reset_link(http, runtime, smtp)
    before = find_user(runtime, alice).password_changed_at

    status, page = choose(http, link, "password1")
    assert status == 400 and "commonly used" in page
    status, page = choose(http, link, NEW_PASSWORD)  # the link survived the refused attempt
    assert status == 200 and "Password changed" in page

    user = find_user(runtime, alice)
    assert runtime.passwords.verify(user.password_hash, NEW_PASSWORD)
    assert not runtime.passwords.verify(user.password_hash, PASSWORD)
    assert user.password_changed_at is not None and user.password_changed_at >= (before or 0)
    assert user.email_verified is True  # the link reached the mailbox
    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    # The browser's SSO session ended too: the next authorization asks for the password.
    again = run_flow(http, login="alice", password=NEW_PASSWORD)
    assert "code" in again.params

    deliver(runtime)
    changed = smtp.to("alice@example.com")[-1]
    assert changed["Subject"] == "Your password was changed" and "token=" not in text_of(changed)
    assert [e.user_id for e in runtime.store.audit.list(AuditQuery(types=("password.reset",)))] == [
        alice
    ]
    reused = http.get(link)
    assert reused.status_code == 410 and "already used" in reused.text


def test_a_reused_link_posted_again_changes_nothing(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    link = reset_link(http, runtime, smtp)
    form = http.get(link)
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token is not None
    data = {"csrf_token": csrf_from(form.text), "token": token.group(1), "password": NEW_PASSWORD}
    assert http.post("/password/reset", data=data).status_code == 200
    second = http.post("/password/reset", data={**data, "password": "yet another passphrase"})
    assert second.status_code == 410 and "already used" in second.text
    user = find_user(runtime, alice)
    assert runtime.passwords.verify(user.password_hash, NEW_PASSWORD)


def test_the_link_expires_after_thirty_minutes(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    clock = install_clock(runtime)
    link = reset_link(http, runtime, smtp)
    clock.advance(30 * 60)
    page = http.get(link)
    assert page.status_code == 410 and "expired" in page.text and "/password/forgot" in page.text


def test_only_the_newest_link_works(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    first = reset_link(http, runtime, smtp)
    second = reset_link(http, runtime, smtp, n=2)
    assert http.get(first).status_code == 410
    assert choose(http, second, NEW_PASSWORD)[0] == 200


@pytest.mark.parametrize("token", ["", "A" * 43, "not a token"])
def test_a_forged_link_is_not_valid(http: TestClient, token: str, alice: str) -> None:
    page = http.get("/password/reset", params={"token": token})
    assert page.status_code == 400 and "This link is not valid" in page.text
    form = http.get("/password/forgot")
    data = {"csrf_token": csrf_from(form.text), "token": token, "password": NEW_PASSWORD}
    posted = http.post("/password/reset", data=data)
    assert posted.status_code == 400 and "This link is not valid" in posted.text


def test_a_disabled_account_gets_no_link(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str
) -> None:
    link = reset_link(http, runtime, smtp)
    set_disabled(runtime, "alice", True)
    forgot(http, "alice@example.com")
    deliver(runtime)
    assert len(smtp.to("alice@example.com")) == 1
    assert http.get(link).status_code == 400


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address"), ("alice", "such as name@example.com")],
)
def test_a_malformed_address_is_shown_next_to_the_field(
    http: TestClient, email: str, message: str
) -> None:
    page = submit(http, "/password/forgot", "/password/forgot", email=email)
    assert page.status_code == 400 and message in page.text
    assert 'aria-describedby="email-error"' in page.text


def test_the_forms_need_this_browsers_csrf_token(http: TestClient, runtime: Runtime) -> None:
    http.get("/password/forgot")
    page = http.post("/password/forgot", data={"email": "alice@example.com"})
    assert page.status_code == 403 and "This form has expired" in page.text
    refused = http.post("/password/reset", data={"token": "A" * 43, "password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert runtime.store.audit.list(AuditQuery(types=("password",))) == []


def test_the_mail_worker_never_logs_the_link(
    http: TestClient, runtime: Runtime, smtp: Mailbox, alice: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    link = reset_link(http, runtime, smtp)
    token = link.split("token=")[1]
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("gatehouse"))
    assert "sent mail " in ours
    assert token not in ours and "alice@example.com" not in ours
