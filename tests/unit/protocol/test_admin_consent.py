"""protocol.admin_consent and the consent decision with it: one table of what a person is
asked, what needs an administrator and what the code goes without, for the person's own
consent, an admin consent, admin-only scopes, first-party clients and prompt=consent; and
``<api>/.default`` in delegated requests (protocol/scopes.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.admin.admin_consents import grant_admin_consent
from gatehouse.crypto import sha256_digest
from gatehouse.errors import ConsentRequired, InvalidScope
from gatehouse.protocol.admin_consent import (
    admin_only,
    approval_missing,
    consented_scopes,
)
from gatehouse.protocol.authorization import AuthorizationRequest, InteractionNeeded
from gatehouse.protocol.decision import ConsentNeed, consent_need, decide
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.scopes import resolve_requested
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Client, Interaction
from tests.support.factories import (
    ORDERS_API,
    REDIRECT_URI,
    make_api,
    make_client,
    make_public_client,
    make_user,
)
from tests.support.flow import install_clock
from tests.unit.protocol.sessions import BINDING, signed_in

READ, WRITE, DELETE = (f"{ORDERS_API}/orders.{n}" for n in ("read", "write", "delete"))
SCOPES = ["openid", "profile", "email", READ, WRITE, DELETE]
SPA_REDIRECT = "http://127.0.0.1:5173/callback"


@pytest.fixture
def provider(runtime: Runtime) -> Provider:
    install_clock(runtime)
    make_api(
        runtime,
        scopes=("orders.read", "orders.write", "orders.delete"),
        admin_consent_required=["orders.delete"],
    )
    make_user(runtime)
    make_client(runtime, "web", scopes=SCOPES)
    make_client(runtime, "own", scopes=SCOPES, first_party=True)
    make_public_client(runtime, "spa", scopes=SCOPES)
    return runtime.provider


def _client(provider: Provider, client_id: str) -> Client:
    found = provider.clients.get(client_id)
    assert found is not None
    return found


def _request(client_id: str, scopes: tuple[str, ...], **fields: Any) -> AuthorizationRequest:
    redirect_uri = SPA_REDIRECT if client_id == "spa" else REDIRECT_URI
    return AuthorizationRequest(client_id, redirect_uri, scopes=scopes, state="st", **fields)


# (client, requested, admin consent, the person's own consent, prompt) ->
# (asked, needs an administrator, withheld)
CASES = [
    # No consent at all: the person is asked for everything they may grant.
    ("web", ("openid", "email"), (), (), (), ("openid", "email"), (), ()),
    # The admin consent covers it: nobody is asked.
    ("web", ("openid", "email"), ("openid", "email"), (), (), (), (), ()),
    # Asked only beyond the admin consent; the person's own consent counts beside it.
    ("web", ("openid", "email", "profile"), ("openid",), (), (), ("email", "profile"), (), ()),
    ("web", ("openid", "email", "profile"), ("openid",), ("email",), (), ("profile",), (), ()),
    # An admin-only scope without an admin consent: an administrator must approve, whatever
    # the person consented to (a stored consent from before it was marked included).
    ("web", ("openid", DELETE), (), (), (), (), (DELETE,), ()),
    ("web", ("openid", DELETE), ("openid",), ("openid", DELETE), (), (), (DELETE,), ()),
    # With it: never asked, and the rest as usual.
    ("web", ("openid", READ, DELETE), (DELETE,), (), (), ("openid", READ), (), ()),
    # prompt=consent asks about everything, but never an admin-only scope.
    ("web", ("openid", DELETE), (DELETE, "openid"), (), ("consent",), ("openid",), (), ()),
    # A first-party client is the administrator's own: neither asked nor approved.
    ("own", ("openid", DELETE), (), (), (), (), (), ()),
    ("own", ("openid", DELETE), (), (), ("consent",), ("openid",), (), ()),
    # RFC 8252 §8.6: a client that cannot prove who it is asks each time, admin consent or
    # not; admin-only scopes stay the administrator's.
    ("spa", ("openid", DELETE), ("openid", DELETE), (), (), ("openid",), (), ()),
    ("spa", ("openid", DELETE), (), (), (), (), (DELETE,), ()),
]


@pytest.mark.parametrize(
    ("client_id", "requested", "admin", "own", "prompt", "ask", "approval", "withheld"), CASES
)
def test_the_consent_decision_table(
    provider: Provider,
    runtime: Runtime,
    client_id: str,
    requested: tuple[str, ...],
    admin: tuple[str, ...],
    own: tuple[str, ...],
    prompt: tuple[str, ...],
    ask: tuple[str, ...],
    approval: tuple[str, ...],
    withheld: tuple[str, ...],
) -> None:
    browser = signed_in(runtime, "alice")
    assert browser.user is not None
    if admin:
        grant_admin_consent(runtime, client_id, admin)
    if own:
        provider.consents.grant(browser.user.id, client_id, frozenset(own), provider.clock())
    request = _request(client_id, requested, prompt=prompt)
    need = consent_need(provider, _client(provider, client_id), request, browser)
    assert need == ConsentNeed(ask, frozenset(withheld), approval)


def test_an_admin_consent_overrides_what_the_person_left_out(
    provider: Provider, runtime: Runtime
) -> None:
    browser = signed_in(runtime, "alice")
    assert browser.user is not None
    now = provider.clock()
    provider.consents.grant(
        browser.user.id, "web", frozenset({"openid"}), now, frozenset({"email"})
    )
    request = _request("web", ("openid", "email"))
    withheld = consent_need(provider, _client(provider, "web"), request, browser)
    assert withheld == ConsentNeed((), frozenset({"email"}))
    grant_admin_consent(runtime, "web", ["email"])
    assert consent_need(provider, _client(provider, "web"), request, browser) == ConsentNeed()


def test_an_answer_in_the_interaction_never_stands_in_for_the_administrator(
    provider: Provider, runtime: Runtime
) -> None:
    """Security: even an interaction marked answered with the admin-only scope among the
    granted ones (a forged form, a race) needs the administrator's approval."""
    request = _request("web", ("openid", DELETE))
    now = provider.clock()
    interaction = Interaction(
        id_hash=sha256_digest("interaction-1"),
        client_id="web",
        request=request.to_dict(),
        created_at=now,
        expires_at=now + 900,
        login_completed_at=now,
        consent_given=True,
        browser_hash=BINDING,
        granted_scopes=("openid", DELETE),
    )
    browser = replace(signed_in(runtime, "alice"), interaction=interaction)
    need = consent_need(provider, _client(provider, "web"), request, browser)
    assert need == ConsentNeed(admin_approval=(DELETE,))


def test_decide_pauses_for_the_approval_page_or_answers_prompt_none(
    provider: Provider, runtime: Runtime
) -> None:
    browser = signed_in(runtime, "alice")
    web = _client(provider, "web")
    paused = decide(provider, web, _request("web", ("openid", DELETE)), browser)
    assert isinstance(paused, InteractionNeeded)
    assert (paused.kind, paused.scopes_to_consent) == ("admin_approval", (DELETE,))
    with pytest.raises(ConsentRequired, match="administrator must approve") as refused:
        decide(provider, web, _request("web", ("openid", DELETE), prompt=("none",)), browser)
    assert refused.value.redirect is not None
    assert refused.value.redirect.redirect_uri == REDIRECT_URI


def test_admin_only_and_approval_missing(provider: Provider, runtime: Runtime) -> None:
    apis = provider.apis.list()
    assert admin_only(["openid", READ, DELETE, "orders.delete"], apis) == {DELETE}
    assert approval_missing(provider, _client(provider, "web"), ("openid", DELETE)) == (DELETE,)
    assert approval_missing(provider, _client(provider, "own"), ("openid", DELETE)) == ()
    grant_admin_consent(runtime, "web", [DELETE])
    assert approval_missing(provider, _client(provider, "web"), ("openid", DELETE)) == ()


def test_consented_scopes_joins_the_persons_and_the_administrators(
    provider: Provider, runtime: Runtime
) -> None:
    alice = provider.users.find_by_login("alice")
    assert alice is not None
    # A person's consent to an admin-only scope (stored before it was marked) counts for
    # nothing: only the admin consent grants it.
    provider.consents.grant(alice.id, "web", frozenset({"openid", DELETE}), provider.clock())
    assert consented_scopes(provider, alice.id, "web") == {"openid"}
    grant_admin_consent(runtime, "web", ["profile", DELETE])
    assert consented_scopes(provider, alice.id, "web") == {"openid", "profile", DELETE}


# -- .default in delegated requests ------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ((f"{ORDERS_API}/.default",), (READ, WRITE)),
        (("openid", "profile", f"{ORDERS_API}/.default"), ("openid", "profile", READ, WRITE)),
        ((f"{ORDERS_API}/.default", "offline_access"), ("offline_access", READ, WRITE)),
        ((f"{ORDERS_API}/.default", f"{ORDERS_API}/.default"), (READ, WRITE)),
    ],
)
def test_default_expands_to_the_configured_scopes(
    provider: Provider, requested: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    allowed = ("openid", "profile", "offline_access", READ, WRITE)
    assert resolve_requested(requested, allowed, provider.apis.list()) == expected


@pytest.mark.parametrize(
    ("requested", "says"),
    [
        ((f"{ORDERS_API}/.default", "orders.read"), "cannot be combined"),
        ((f"{ORDERS_API}/.default", WRITE), "cannot be combined"),
        (("https://nowhere.example.com/.default",), "is not a registered API"),
        ((f"{ORDERS_API}/.default",), "no permissions configured"),
    ],
)
def test_bad_default_is_invalid_scope(
    provider: Provider, requested: tuple[str, ...], says: str
) -> None:
    allowed = ("openid", READ, WRITE) if "no permissions" not in says else ("openid",)
    with pytest.raises(InvalidScope, match=says):
        resolve_requested(requested, allowed, provider.apis.list())
