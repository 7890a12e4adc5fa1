"""protocol/account/overview.py: what the account page shows the signed-in person — their
live sessions (this one marked), the applications they let in (described as the consent
page describes them; never gatehouse's own), the offline access each application holds,
and whether the sign-in is recent enough for sensitive actions."""

from __future__ import annotations

from gatehouse.accounts.sessions import sign_out
from gatehouse.protocol.account.client import ACCOUNT_CLIENT_ID, ensure_account_client
from gatehouse.protocol.account.holder import AccountHolder
from gatehouse.protocol.account.overview import (
    ApplicationAccess,
    OfflineAccess,
    SessionView,
    account_overview,
)
from gatehouse.protocol.interaction import describe_scopes
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token import token_endpoint
from gatehouse.runtime import Runtime
from gatehouse.storage.admin_consents import AdminConsent
from gatehouse.storage.records import SessionSelector, User
from tests.support.factories import make_user
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import browser_session
from tests.unit.protocol.conftest import Registered, issue, register

OFFLINE = ("openid", "offline_access")


def test_a_new_account_shows_this_session_and_nothing_else(
    provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    overview = account_overview(provider, alice, holder.session)
    assert (overview.user, overview.session) == (alice, holder.session)
    assert overview.sessions == [
        SessionView(
            sid=holder.session.sid,
            signed_in_at=clock.now,
            started_at=clock.now,
            last_seen_at=clock.now,
            methods=("pwd",),
            current=True,
        )
    ]
    assert (overview.applications, overview.offline) == ([], [])
    assert overview.signed_in_recently


def test_the_sessions_are_the_persons_live_ones(
    runtime: Runtime, provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    clock.advance(10)
    _, phone = browser_session(provider, alice, ("pwd", "otp", "mfa"))
    _, ended = browser_session(provider, alice)
    sign_out(provider.sessions, SessionSelector(sid=ended.sid), clock.now, "logout")
    bob = provider.users.get(str(make_user(runtime, "bob")["id"]))
    assert bob is not None
    browser_session(provider, bob)
    clock.advance(400)  # past the window for sensitive actions

    overview = account_overview(provider, alice, holder.session)

    views = {v.sid: v for v in overview.sessions}
    assert set(views) == {holder.session.sid, phone.sid}
    assert views[phone.sid] == SessionView(
        sid=phone.sid,
        signed_in_at=phone.auth_time,
        started_at=phone.created_at,
        last_seen_at=phone.last_seen_at,
        methods=("pwd", "otp", "mfa"),
        current=False,
    )
    assert views[holder.session.sid].current
    assert not overview.signed_in_recently


def test_the_applications_are_those_consented_to_described_as_on_the_consent_page(
    runtime: Runtime, provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    register(runtime, "web", name="The Web App")
    provider.consents.grant(alice.id, "web", frozenset({"profile", "openid"}), clock.now)
    provider.consents.grant(alice.id, "gone", frozenset({"openid"}), clock.now + 1)
    ensure_account_client(provider)
    provider.consents.grant(alice.id, ACCOUNT_CLIENT_ID, frozenset({"openid"}), clock.now)

    applications = account_overview(provider, alice, holder.session).applications

    assert sorted(applications, key=lambda a: a.client_id) == [
        # A client since deleted keeps its id as its name.
        ApplicationAccess("gone", "gone", describe_scopes(provider, ("openid",)), clock.now + 1),
        ApplicationAccess(
            "web", "The Web App", describe_scopes(provider, ("openid", "profile")), clock.now
        ),
    ]


def test_what_the_organisation_allowed_is_listed_beside_or_instead_of_the_persons_own(
    runtime: Runtime, provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    register(runtime, "web", name="The Web App")
    register(runtime, "directory", name="Directory")
    register(runtime, "empty", name="Present Only")
    provider.consents.grant(alice.id, "web", frozenset({"email"}), clock.now)
    admin = frozenset({"openid", "profile"})
    for client_id, scopes in (
        ("web", admin),
        ("directory", admin),
        ("empty", frozenset()),  # a presence that allows nothing by itself
        ("deleted", admin),  # a client since deleted acts for nobody
    ):
        provider.admin_consents.save(AdminConsent(client_id, scopes, clock.now, clock.now))

    applications = account_overview(provider, alice, holder.session).applications

    organisation = describe_scopes(provider, ("openid", "profile"))
    assert applications == [
        ApplicationAccess("directory", "Directory", [], None, organisation),
        ApplicationAccess(
            "web", "The Web App", describe_scopes(provider, ("email",)), clock.now, organisation
        ),
    ]
    assert [a.revocable for a in applications] == [False, True]


def test_offline_access_is_grouped_by_application_with_its_first_issue_and_last_use(
    runtime: Runtime, provider: Provider, clock: FakeClock, holder: AccountHolder, alice: User
) -> None:
    # Without rotation a used token stays, its idle expiry moved on: that gives its last use.
    web = register(runtime, "web", name="The Web App", refresh_token_rotation=False)
    other = register(runtime, "other", name="Other")
    first_at = clock.now
    first = issue(provider, web.client, alice, OFFLINE)
    clock.advance(100)
    issue(provider, web.client, alice, OFFLINE)
    other_at = clock.now
    issue(provider, other.client, alice, OFFLINE)
    issue(provider, web.client, alice, ("openid",), sid=holder.session.sid)  # not offline
    clock.advance(500)
    used_at = clock.now
    _refresh(provider, web, first.refresh_token)
    clock.advance(50)

    offline = sorted(
        account_overview(provider, alice, holder.session).offline, key=lambda o: o.client_id
    )

    assert offline == [
        OfflineAccess("other", "Other", 1, other_at, other_at),
        OfflineAccess("web", "The Web App", 2, first_at, used_at),
    ]


def _refresh(provider: Provider, client: Registered, refresh_token: str | None) -> None:
    assert refresh_token is not None
    params = Parameters({"grant_type": "refresh_token", "refresh_token": refresh_token})
    token_endpoint(provider, params, client.basic)
