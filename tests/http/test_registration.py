"""Self-service registration and email verification (docs/self-service.md): real email to a
loopback SMTP server, single-use links, no enumeration of addresses, the switch, bad input."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.admin.users import find_user
from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from gatehouse.storage.sql import tables as t
from tests.http.selfservice import (
    deliver,
    local,
    only_message,
    register,
    settings,  # noqa: F401 - the fixture that sends email to the loopback server
    switched_on,  # noqa: F401 - a fixture
)
from tests.support.factories import make_client, make_user
from tests.support.flow import csrf_from, get_tokens, install_clock, start_authorize
from tests.support.smtp import Mailbox, html_of, link_in, text_of

pytestmark = pytest.mark.usefixtures("switched_on")

PAGES = ("/register", "/verify-email", "/password/forgot", "/password/reset")


def events(runtime: Runtime, kind: str) -> list[str | None]:
    return [e.user_id for e in runtime.store.audit.list(AuditQuery(types=(kind,)))]


def test_a_person_registers_confirms_the_address_and_signs_in(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    form = http.get("/register")
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.text and "At least 8 characters" in form.text
    sent = register(http)
    assert sent.status_code == 200 and "Check your email" in sent.text
    carol = find_user(runtime, "carol")
    assert carol.email == "carol@example.com" and carol.email_verified is False
    assert carol.name == "Carol Danvers"
    assert events(runtime, "account.registered") == [carol.id]
    assert smtp.messages == []  # nothing leaves while the page is answered

    assert deliver(runtime) == 1
    message = only_message(smtp, "carol@example.com")
    assert message["Subject"] == "Confirm your email address"
    assert message["From"] == "gatehouse <no-reply@example.com>"
    assert "for 1 day" in text_of(message) and "Hello carol" in html_of(message)
    link = link_in(message, "/verify-email")
    assert link.startswith("http://testserver/verify-email?token=")

    # The link shows a button (a mail scanner's GET uses nothing); the POST confirms.
    confirm = http.get(local(link))
    assert confirm.status_code == 200 and "Confirm my email address" in confirm.text
    assert find_user(runtime, "carol").email_verified is False
    token = re.search(r'name="token" value="([^"]+)"', confirm.text)
    assert token is not None
    data = {"csrf_token": csrf_from(confirm.text), "token": token.group(1)}
    done = http.post("/verify-email", data=data)
    assert done.status_code == 200 and "Email address confirmed" in done.text
    assert find_user(runtime, "carol").email_verified is True
    assert events(runtime, "email.verified") == [carol.id]

    again = http.post("/verify-email", data=data)
    assert again.status_code == 410 and "already used" in again.text
    assert http.get(local(link)).status_code == 410


def test_only_the_hash_of_a_link_is_stored_and_the_queued_mail_is_encrypted(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    register(http)
    with runtime.database.engine.connect() as conn:
        queued = conn.execute(sa.select(t.outgoing_mail.c.content_encrypted)).scalar_one()
        hashes = conn.execute(sa.select(t.email_tokens.c.token_hash)).scalars().all()
    deliver(runtime)
    token = link_in(only_message(smtp, "carol@example.com"), "/verify-email").split("=")[1]
    assert token not in str(hashes) and token.encode() not in queued
    assert b"carol@example.com" not in queued
    with runtime.database.engine.connect() as conn:
        sent = conn.execute(sa.select(t.outgoing_mail)).mappings().one()
    assert sent["sent_at"] is not None and sent["content_encrypted"] is None


def test_an_expired_link_says_so(http: TestClient, runtime: Runtime, smtp: Mailbox) -> None:
    clock = install_clock(runtime)
    register(http)
    deliver(runtime)
    link = local(link_in(only_message(smtp, "carol@example.com"), "/verify-email"))
    clock.advance(24 * 3600)
    page = http.get(link)
    assert page.status_code == 410 and "expired" in page.text
    assert "/password/forgot" in page.text  # a reset link confirms the address too


@pytest.mark.parametrize(
    "token",
    ["", "short", "A" * 43, "A" * 42 + "!", "x" * 500],
    ids=["empty", "short", "unknown", "bad-character", "long"],
)
def test_a_forged_link_is_not_valid(http: TestClient, token: str) -> None:
    page = http.get("/verify-email", params={"token": token})
    assert page.status_code == 400 and "This link is not valid" in page.text
    form = http.get("/register")
    posted = http.post("/verify-email", data={"csrf_token": csrf_from(form.text), "token": token})
    assert posted.status_code == 400 and "This link is not valid" in posted.text


def test_registering_an_address_that_has_an_account_reveals_nothing(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    make_user(runtime, "alice")
    new = register(http, username="dave", email="dave@example.com")
    taken = register(http, username="mallory", email="Alice@Example.com")
    assert taken.status_code == new.status_code == 200
    assert taken.text.replace("Alice@Example.com", "X") == new.text.replace("dave@example.com", "X")
    assert runtime.store.users.find_by_login("mallory") is None
    assert deliver(runtime) == 2
    notice = only_message(smtp, "alice@example.com")
    assert notice["Subject"] == "Someone tried to create an account with your email address"
    assert "/password/forgot" in text_of(notice) and "token=" not in text_of(notice)


def test_a_taken_username_is_said_so_next_to_the_field(http: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "alice")
    page = register(http, username="ALICE")
    assert page.status_code == 400
    assert '<p class="field-error" id="username-error">This username is taken' in page.text
    field = re.search(r'<input id="username"[^>]*>', page.text)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0) and "autofocus" in field.group(0)
    assert 'aria-describedby="username-error"' in field.group(0)
    assert 'value="carol@example.com"' in page.text  # what was typed stays
    assert "carol&#39;s long passphrase" not in page.text  # but never the password


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": ""}, "username", "Enter a username"),
        ({"username": "car ol"}, "username", "cannot contain spaces"),
        ({"username": "carol\u202etxt.exe"}, "username", "invisible or control"),
        ({"username": "carol\u200b"}, "username", "invisible or control"),
        ({"username": "c" * 65}, "username", "at most 64"),
        ({"username": "carol@example.com"}, "username", "cannot contain @"),
        ({"email": ""}, "email", "Enter your email address"),
        ({"email": "carol"}, "email", "such as name@example.com"),
        ({"email": "carol@localhost"}, "email", "such as name@example.com"),
        ({"email": "a@b@example.com"}, "email", "such as name@example.com"),
        ({"email": "c" * 250 + "@example.com"}, "email", "at most 254"),
        ({"name": "n" * 256}, "name", "at most 255"),
        ({"name": "Carol\x1b[31m"}, "name", "invisible or control"),
        ({"password": ""}, "password", "at least 8"),
        ({"password": "short"}, "password", "at least 8"),
        ({"password": "password123"}, "password", "commonly used"),
        ({"password": "CAROL@example.com"}, "password", "username or email"),
        ({"password": "p" * 1025}, "password", "at most 1024"),
    ],
)
def test_bad_input_is_shown_next_to_its_field(
    http: TestClient, runtime: Runtime, fields: dict[str, str], field: str, message: str
) -> None:
    page = register(http, **fields)
    assert page.status_code == 400, page.text
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page.text)
    assert error is not None and message in error.group(1), page.text
    assert runtime.store.users.list() == []


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({"username": "carol", "email": "carol@example.com", "password": "x" * 12}, 403, "expired"),
        ({"csrf_token": "not-this-browsers-token-at-all", "username": "carol"}, 403, "expired"),
    ],
)
def test_a_form_without_this_browsers_csrf_token_is_refused(
    http: TestClient, runtime: Runtime, data: dict[str, str], status: int, text: str
) -> None:
    http.get("/register")  # the browser has its CSRF cookie
    page = http.post("/register", data=data)
    assert page.status_code == status and text in page.text
    assert runtime.store.users.list() == []


def test_malformed_requests_get_a_page_not_a_server_error(http: TestClient) -> None:
    form = http.get("/register")
    token = csrf_from(form.text)
    duplicated = http.post(
        "/register",
        content=f"csrf_token={token}&username=a&username=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert duplicated.status_code == 400 and "Traceback" not in duplicated.text
    bad_bytes = http.post(
        "/register",
        content=b"csrf_token=" + token.encode() + b"&username=%ff%fe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert bad_bytes.status_code == 400
    nul = http.post("/register", data={"csrf_token": token, "name": "Carol\x00"})
    assert nul.status_code == 400 and "NUL" in nul.text
    not_a_form = http.post("/register", json={"username": "carol"})
    assert not_a_form.status_code == 400
    huge = http.post(
        "/register",
        content=b"username=" + b"a" * 2_000_000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 400


def test_one_address_gets_a_few_messages_an_hour_and_one_source_a_few_requests(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    clock = install_clock(runtime)
    make_user(runtime, "alice")
    for n in range(7):
        assert register(http, username=f"m{n}", email="alice@example.com").status_code == 200
    deliver(runtime)
    assert len(smtp.to("alice@example.com")) == 5  # EMAILS_PER_ADDRESS
    for n in range(13):  # 20 requests from this address in all (REQUESTS_PER_SOURCE)
        assert register(http, username=f"n{n}", email=f"n{n}@example.com").status_code == 200
    refused = register(http, username="late", email="late@example.com")
    assert refused.status_code == 429 and "Too many requests" in refused.text
    assert runtime.store.users.find_by_login("late") is None
    clock.advance(3601)  # a request exactly an hour old still counts
    assert register(http, username="later", email="later@example.com").status_code == 200


def test_an_unverified_person_signs_in_and_the_claims_say_unverified(
    http: TestClient, runtime: Runtime
) -> None:
    client = make_client(runtime)
    register(http)
    tokens = get_tokens(http, client, login="carol", password="carol's long passphrase")
    userinfo = http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.json()["email_verified"] is False


def test_the_login_page_links_to_the_pages_that_are_on(http: TestClient, runtime: Runtime) -> None:
    make_client(runtime)
    response, _ = start_authorize(http)
    login = http.get(response.headers["location"])
    assert 'href="/password/forgot?interaction=' in login.text
    assert 'href="/register?interaction=' in login.text
    interaction = response.headers["location"].split("=", 1)[1]
    form = http.get(f"/register?interaction={interaction}")
    assert f'href="/login?interaction={interaction}"' in form.text
    sent = register(http, interaction=interaction)
    assert f'href="/login?interaction={interaction}"' in sent.text
    runtime.store.policy.update(TenantPolicy(password_reset=True))
    login = http.get(response.headers["location"])
    assert 'href="/password/forgot?interaction=' in login.text and "/register" not in login.text


def test_with_the_switches_off_the_pages_are_not_there(http: TestClient, runtime: Runtime) -> None:
    runtime.store.policy.update(TenantPolicy())
    make_client(runtime)
    for path in PAGES:
        assert http.get(path).status_code == 404
        assert http.post(path, data={"email": "a@example.com"}).status_code == 404
    response, _ = start_authorize(http)
    login = http.get(response.headers["location"])
    assert "/register" not in login.text and "/password/forgot" not in login.text
    assert "self-service" not in login.text
