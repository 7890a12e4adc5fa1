"""Brute-force protection over HTTP (docs/lockout.md): growing delays, locks per source, per
account and per address that expire, known browsers, unknown logins counted like known ones,
client secrets at the token endpoint, and the address recorded behind a trusted proxy."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.storage.records import AuditEvent, AuditQuery
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.conftest import test_settings as make_settings
from tests.support.cookies import DEVICE_COOKIE, SESSION_COOKIE
from tests.support.factories import (
    ORDERS_API,
    PASSWORD,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_user,
)
from tests.support.flow import FakeClock, install_clock, start_authorize, submit_login
from tests.support.tokens import client_credentials

WRONG = "The username or password is not correct."
TOO_MANY = "Too many failed attempts. Try again in"
# Small thresholds, so that each rule is reached in a few attempts.
POLICY = TenantPolicy(
    login_delay_after_failures=2,
    login_max_delay=timedelta(seconds=8),
    source_lockout_threshold=4,
    account_lockout_threshold=6,
    address_failure_limit=8,
    lockout_duration=timedelta(minutes=10),
)
ATTACKER, PERSON, OTHER = "203.0.113.66", "198.51.100.7", "192.0.2.44"

Browser = Callable[[str], TestClient]


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    runtime.store.policy.update(POLICY)
    make_user(runtime, "alice")
    make_user(runtime, "bob", "bob's long password")
    make_client(runtime)
    return install_clock(runtime)


@pytest.fixture
def browser(runtime: Runtime, clock: FakeClock) -> Iterator[Browser]:
    """A new browser (its own cookies) at an address."""
    app = create_app(runtime)
    opened: list[TestClient] = []

    def open_browser(address: str) -> TestClient:
        client = TestClient(app, base_url=ISSUER, follow_redirects=False, client=(address, 50000))
        opened.append(client.__enter__())
        return client

    yield open_browser
    for client in opened:
        client.__exit__(None, None, None)


def attempt(http: TestClient, login: str = "alice", password: str = PASSWORD) -> Any:
    """One sign-in through a fresh authorization request; the response to POST /login."""
    response, _ = start_authorize(http)
    return submit_login(http, response.headers["location"], login, password)


def signed_in(response: Any) -> bool:
    return response.status_code == 303 and SESSION_COOKIE in response.headers.get("set-cookie", "")


def page_message(response: Any) -> str:
    found = re.search(r'<p class="alert" role="alert">([^<]*)</p>', response.text)
    assert found, response.text
    return found.group(1)


def events(runtime: Runtime, kind: str) -> list[AuditEvent]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


def test_delays_grow_and_an_early_attempt_is_refused_unchecked(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    http = browser(ATTACKER)
    assert page_message(attempt(http, password="wrong")) == WRONG
    second = attempt(http, password="wrong")
    assert page_message(second) == f"{WRONG} {TOO_MANY} 1 second."
    # Too early: refused before the password is checked, even the right one.
    early = attempt(http)
    assert early.status_code == 429 and early.headers["retry-after"] == "1"
    assert page_message(early) == f"{TOO_MANY} 1 second."
    clock.advance(1)
    assert page_message(attempt(http, password="wrong")) == f"{WRONG} {TOO_MANY} 2 seconds."
    clock.advance(1)
    assert attempt(http).status_code == 429
    clock.advance(1)
    assert signed_in(attempt(http))
    # The refused attempts were neither verified nor recorded one by one.
    assert len(events(runtime, "signin.failed")) == 3


def fail_until_locked(
    http: TestClient, clock: FakeClock, login: str = "alice", times: int = 4
) -> None:
    for _ in range(times):
        response = attempt(http, login, "wrong")
        assert response.status_code == 200, response.text
        clock.advance(8)  # past the longest delay


def test_a_source_lock_refuses_that_source_only_and_expires(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    attacker = browser(ATTACKER)
    fail_until_locked(attacker, clock)
    refused = attempt(attacker)
    assert refused.status_code == 429
    assert page_message(refused) == f"{TOO_MANY} 10 minutes."
    # The person, elsewhere, is not locked out.
    assert signed_in(attempt(browser(PERSON)))
    [locked] = events(runtime, "signin.locked")
    assert (locked.details["scope"], locked.username, locked.ip) == ("source", "alice", ATTACKER)
    clock.advance(10 * 60)
    assert signed_in(attempt(attacker))


def test_an_account_lock_spares_the_browsers_the_person_signed_in_from(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    known = browser(PERSON)
    assert signed_in(first := attempt(known))
    assert DEVICE_COOKIE in first.headers["set-cookie"]
    fail_until_locked(browser(ATTACKER), clock)  # 4 failures: that source is locked
    fail_until_locked(browser(OTHER), clock, times=2)  # 6 in all: the account is locked
    assert [e.details["scope"] for e in events(runtime, "signin.locked")] == [
        "account",
        "source",
    ]
    # A new browser, even at the person's own address, must wait ...
    stranger = browser(PERSON)
    refused = attempt(stranger)
    assert refused.status_code == 429 and TOO_MANY in page_message(refused)
    # ... while a known browser with the right password gets in.
    assert signed_in(attempt(known))


def test_spraying_across_accounts_locks_the_address(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    sprayer = browser(ATTACKER)
    for login in ["bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]:
        assert attempt(sprayer, login, "Summer2026!").status_code == 200
    refused = attempt(sprayer)  # alice was never tried from here
    assert refused.status_code == 429 and TOO_MANY in page_message(refused)
    assert [e.details["scope"] for e in events(runtime, "signin.locked")] == ["address"]
    assert signed_in(attempt(browser(PERSON)))


def test_unknown_logins_get_the_same_answers_and_are_counted(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    known, unknown = browser(ATTACKER), browser(OTHER)
    answers: dict[str, list[tuple[int, str]]] = {"alice": [], "nobody": []}
    for _ in range(5):
        for login, http in (("alice", known), ("nobody", unknown)):
            response = attempt(http, login, "wrong")
            answers[login].append((response.status_code, page_message(response)))
        clock.advance(8)
    assert answers["alice"] == answers["nobody"]
    assert answers["nobody"][-1] == (429, f"{TOO_MANY} 10 minutes.")
    failed = events(runtime, "signin.failed")
    # The operator may see the difference; the person may not.
    assert {(e.username, e.details["reason"]) for e in failed} == {
        ("alice", "wrong_password"),
        ("nobody", "unknown_user"),
    }


def test_a_form_without_its_csrf_token_is_refused_and_not_counted(
    browser: Browser, clock: FakeClock, runtime: Runtime
) -> None:
    http = browser(ATTACKER)
    response, _ = start_authorize(http)
    interaction = response.headers["location"].split("interaction=")[1]
    for _ in range(5):
        forged = http.post(
            "/login", data={"interaction": interaction, "login": "alice", "password": "x"}
        )
        assert forged.status_code == 403
    assert events(runtime, "signin.failed") == []
    assert signed_in(attempt(http))


def test_guessing_a_client_secret_locks_the_guesser_not_the_daemon(
    runtime: Runtime, browser: Browser, clock: FakeClock
) -> None:
    make_api(runtime, ORDERS_API)
    daemon = make_daemon(runtime)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    guesser, host = browser(ATTACKER), browser(OTHER)
    wrong = {**daemon, "client_secret": "guess"}
    for _ in range(4):
        clock.advance(8)  # past the longest delay
        assert client_credentials(guesser, wrong).status_code == 401
    scope = {"scope": f"{ORDERS_API}/.default"}
    refused = client_credentials(guesser, daemon, **scope)  # the right secret, from there
    assert refused.status_code == 401 and refused.headers["retry-after"] == "600"
    assert refused.json()["error"] == "invalid_client"
    assert "too many failed authentications" in refused.json()["error_description"]
    assert client_credentials(host, daemon, **scope).status_code == 200
    failed = events(runtime, "client.authentication_failed")
    assert {(e.client_id, e.ip) for e in failed} == {("daemon", ATTACKER)}
    assert len(failed) == 4 and len(events(runtime, "client.authentication_locked")) == 1
    clock.advance(10 * 60)
    assert client_credentials(guesser, daemon, **scope).status_code == 200


@pytest.fixture
def behind_proxy(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = make_settings(database_url, tmp_path, trusted_proxies="10.0.0.5")
    runtime = build_runtime(settings)
    make_user(runtime, "alice")
    make_client(runtime)
    yield runtime
    runtime.close()


@pytest.mark.parametrize(
    ("peer", "recorded"),
    [("10.0.0.5", "198.51.100.7"), ("10.0.0.6", "10.0.0.6")],
    ids=["trusted-proxy", "untrusted-peer"],
)
def test_the_address_recorded_is_forwarded_only_by_a_trusted_proxy(
    behind_proxy: Runtime, peer: str, recorded: str
) -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.7"}
    app = create_app(behind_proxy)
    with TestClient(
        app, base_url=ISSUER, follow_redirects=False, client=(peer, 40000), headers=forwarded
    ) as http:
        assert attempt(http, password="wrong").status_code == 200
        counted = behind_proxy.store.attempts.of_subjects(["login:alice"], 0)
        assert {c.source for c in counted} == {"", f"ip:{recorded}"}
        assert signed_in(attempt(http))
    assert [e.ip for e in events(behind_proxy, "signin")] == [recorded, recorded]
