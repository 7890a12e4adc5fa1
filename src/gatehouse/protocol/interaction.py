"""Login and consent: the interaction the authorization endpoint pauses for and resumes.

The pages parse the request, call one function here, and render what it returns:

- GET /login: ``login_form``; POST /login: ``record_login``;
- GET /consent: ``resume``; POST /consent: ``record_consent``.

Each finds the paused request for the browser that started it, records the person's answer
(a sign-in, a consent) and resumes ``decision.decide``, where the policy lives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from gatehouse.accounts.authentication import authenticate
from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.sessions import active_session, start_session
from gatehouse.crypto import constant_time_equals, sha256_digest
from gatehouse.errors import AccessDenied, InvalidRequest
from gatehouse.protocol.audiences import split_canonical
from gatehouse.protocol.authorization import (
    AuthorizationOutcome,
    AuthorizationRequest,
    BrowserState,
)
from gatehouse.protocol.decision import decide
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import is_registered
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.storage.records import Client, Interaction

log = logging.getLogger("gatehouse.interaction")

MAX_INTERACTION_ID_LENGTH = 128


def browser_state(
    provider: Provider, session_cookie: str | None, binding: str | None = None
) -> BrowserState:
    """The browser's live SSO session and user (none when it has no live session)."""
    found = active_session(
        provider.sessions,
        provider.users,
        provider.config.session_lifetimes,
        provider.clock(),
        session_cookie,
    )
    if found is None:
        return BrowserState(session=None, user=None, binding=binding)
    session, user = found
    return BrowserState(session=session, user=user, binding=binding)


# -- The pages' entry points ------------------------------------------------------------------

_START_AGAIN = "go back to the application and start again"


@dataclass(frozen=True)
class PausedRequest:
    interaction_id: str
    interaction: Interaction
    client: Client
    request: AuthorizationRequest
    # The browser came back to a sign-in it has finished (Back, a reload, a bookmark).
    completed: bool = False


def load_interaction(
    provider: Provider, interaction_id: str | None, binding: str | None, *, completed: bool = False
) -> PausedRequest:
    """The paused request behind a login or consent page, for the browser that started it;
    with ``completed``, also one that browser has already finished."""
    if not interaction_id or len(interaction_id) > MAX_INTERACTION_ID_LENGTH:
        raise InvalidRequest(f"this page needs a sign-in request; {_START_AGAIN}")
    id_hash, now = sha256_digest(interaction_id), provider.clock()
    interaction = provider.interactions.get(id_hash, now)
    finished = interaction is None and completed
    if finished:
        interaction = provider.interactions.get_completed(id_hash, now)
    if interaction is None:
        raise InvalidRequest(f"this sign-in page has expired or was already used; {_START_AGAIN}")
    if interaction.browser_hash is not None and not constant_time_equals(
        interaction.browser_hash, binding or ""
    ):
        raise InvalidRequest(
            "this sign-in was started in another browser (or its cookies were cleared); go "
            "back to the application and start again here"
        )
    client = provider.clients.get(interaction.client_id)
    if client is None:
        raise InvalidRequest("the application was removed during sign-in")
    request = AuthorizationRequest.from_dict(interaction.request)
    if not is_registered(request.redirect_uri, client.redirect_uris):
        raise InvalidRequest("the redirect URI was unregistered during sign-in")
    return PausedRequest(interaction_id, interaction, client, request, completed=finished)


def _resume(
    provider: Provider, paused: PausedRequest, browser: BrowserState
) -> AuthorizationOutcome:
    """The decision again, for the browser that is finishing the paused request — or, when
    it came back to a sign-in it has finished (most often Back from the application), what
    repeating its authorization request would give it, nothing more: with its session and
    the stored consent, a new code at the client's redirect URI (validated again just now),
    which takes the person back to the application; otherwise a new sign-in."""
    if not paused.completed:
        browser = replace(
            browser, interaction=paused.interaction, interaction_id=paused.interaction_id
        )
    return decide(provider, paused.client, paused.request, browser)


@dataclass(frozen=True)
class LoginForm:
    """What the login page shows: the application, the login to prefill, and whether the
    last attempt failed; in the languages the application asked for."""

    client: Client
    login: str
    failed: bool = False
    ui_locales: tuple[str, ...] = ()


def login_form(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> LoginForm | AuthorizationOutcome:
    """GET /login: the form for a paused request (login_hint prefilled, OIDC Core §3.1.2.1)."""
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    if paused.completed:
        return _resume(provider, paused, browser_state(provider, session_cookie, binding))
    request = paused.request
    return LoginForm(paused.client, request.login_hint or "", ui_locales=request.ui_locales)


@dataclass(frozen=True)
class SignedIn:
    """The person signed in: the new SSO session's cookie value, and where to go next."""

    session_cookie: str
    outcome: AuthorizationOutcome


def record_login(
    provider: Provider,
    passwords: Passwords,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    login: str,
    password: str,
) -> SignedIn | LoginForm:
    """POST /login: check the password, start (or renew) the SSO session, and resume."""
    paused = load_interaction(provider, interaction_id, binding)
    user = authenticate(provider.users, passwords, login, password)
    if user is None:
        log.info("failed login for client %s", paused.client.client_id)
        return LoginForm(paused.client, login, failed=True, ui_locales=paused.request.ui_locales)
    now = provider.clock()
    lifetimes = provider.config.session_lifetimes
    cookie = start_session(provider.sessions, lifetimes, now, user, ("pwd",), session_cookie)
    provider.interactions.mark_login(paused.interaction.id_hash, now)
    paused = replace(paused, interaction=replace(paused.interaction, login_completed_at=now))
    return SignedIn(cookie, _resume(provider, paused, browser_state(provider, cookie, binding)))


def resume(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> AuthorizationOutcome:
    """GET /consent: continue a paused request; the consent page shows the outcome when it
    is a consent pause."""
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    return _resume(provider, paused, browser_state(provider, session_cookie, binding))


def record_consent(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    subject: str | None,
    allow: bool,
) -> AuthorizationOutcome:
    """POST /consent: ``allow`` stores the consent of ``subject`` (the user the page was
    shown to) and resumes; a denial is access_denied at the client (RFC 6749 §4.1.2.1)."""
    paused = load_interaction(provider, interaction_id, binding)
    now = provider.clock()
    if not allow:
        provider.interactions.complete(paused.interaction.id_hash, now)
        raise paused.request.refuse(AccessDenied("the user declined to grant access"))
    browser = browser_state(provider, session_cookie, binding)
    if browser.user is not None and subject == browser.user.id:
        scopes = frozenset(paused.request.scopes)
        provider.consents.grant(browser.user.id, paused.client.client_id, scopes, now)
        provider.interactions.mark_consent(paused.interaction.id_hash)
        paused = replace(paused, interaction=replace(paused.interaction, consent_given=True))
    # Otherwise the session ended while the page was open, or another person has signed in
    # in this browser since (another tab): the answer was given for someone else, so the
    # decision asks again, as whoever is signed in now.
    return _resume(provider, paused, browser)


def describe_scopes(provider: Provider, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, description) of each scope the consent page asks about: standard, custom, or
    an API's delegated permission (labelled "<API name>: <scope>")."""
    custom = provider.scopes.get_many(list(names))
    apis = provider.apis.list() if any("/" in n for n in names) else []
    described = []
    for name in names:
        split = split_canonical(name, apis)
        if name in STANDARD_SCOPES:
            described.append((name, STANDARD_SCOPES[name]))
        elif name in custom:
            described.append((name, custom[name].description))
        elif split is not None:
            api, bare = split
            permission = next((p for p in api.scopes if p.name == bare), None)
            described.append(
                (f"{api.name}: {bare}", permission.description if permission else bare)
            )
        else:
            described.append((name, name))
    return described
