"""Login and consent: the interaction the authorization endpoint pauses for and resumes.

The pages parse the request, call one function here, and render what it returns:

- GET /login: ``login_form`` (POST /login and POST /login/passkey, and the end of every
  sign-in: protocol/sign_in_flow.py);
- GET /consent: ``resume``; POST /consent: ``record_consent``;
- "Cancel" on either page: ``cancel``; "Not you?" on either page: ``not_you``;
- the second factor's pages: protocol/verification.py and protocol/enrolment.py.

Each finds the paused request for the browser that started it, records the person's answer
(a sign-in, a consent) and resumes ``decision.decide``, where the policy lives.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatehouse.accounts.sessions import active_session
from gatehouse.accounts.throttle import Refusal
from gatehouse.crypto import constant_time_equals, sha256_digest
from gatehouse.errors import AccessDenied, InvalidRequest
from gatehouse.protocol.admin_consent import approval_missing
from gatehouse.protocol.audiences import split_canonical
from gatehouse.protocol.authorization import (
    AuthorizationOutcome,
    AuthorizationRequest,
    BrowserState,
    InteractionNeeded,
)
from gatehouse.protocol.decision import (
    ALREADY_COMPLETED,
    admin_approval_needed,
    consent_need,
    decide,
)
from gatehouse.protocol.logout import LogoutRequest, end_session
from gatehouse.protocol.multi_tenant import (
    add_presence,
    not_available,
    people_may_add,
    presence_missing,
)
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import is_registered
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.storage.records import AuditEvent, Client, Interaction, User

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
    if not is_registered(request.redirect_uri, client.redirect_uris, native=client.is_public):
        raise InvalidRequest("the redirect URI was unregistered during sign-in")
    return PausedRequest(interaction_id, interaction, client, request, completed=finished)


def resume_paused(
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
    """What the login page shows: the application, the login to prefill, whether the last
    attempt failed, the wait brute-force protection imposes (``refusal``; alone: the
    attempt was refused before its password was checked), whether "Remember me" is ticked,
    who is signed in in this browser now (prompt=login, max_age), for "Not you?"; in the
    languages the application asked for."""

    client: Client
    login: str
    failed: bool = False
    remember_me: bool = False
    signed_in: User | None = None
    refusal: Refusal | None = None
    ui_locales: tuple[str, ...] = ()


def login_form(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> LoginForm | AuthorizationOutcome:
    """GET /login: the form for a paused request (login_hint prefilled, OIDC Core §3.1.2.1)."""
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    browser = browser_state(provider, session_cookie, binding)
    if paused.completed:
        return resume_paused(provider, paused, browser)
    request = paused.request
    return LoginForm(
        paused.client,
        request.login_hint or "",
        signed_in=browser.user,
        ui_locales=request.ui_locales,
    )


def cancel(provider: Provider, interaction_id: str | None, binding: str) -> AccessDenied:
    """The login and consent pages' "Cancel": the paused request ends, and the error that
    takes the person back to the application: access_denied with the request's state (RFC
    6749 §4.1.2.1), addressed only ever to the redirect URI validated for the request."""
    paused = load_interaction(provider, interaction_id, binding)
    return _refusal(provider, paused, "the user cancelled the sign-in", "signin.cancelled")


def _refusal(
    provider: Provider,
    paused: PausedRequest,
    description: str,
    event_type: str,
    user_id: str | None = None,
    scopes: tuple[str, ...] | None = None,
) -> AccessDenied:
    """End the paused request (once, like a code), recorded as ``event_type`` with
    ``scopes`` (default: the request's); access_denied for its client."""
    now = provider.clock()
    with provider.transaction():
        if not provider.interactions.complete(paused.interaction.id_hash, now):
            raise InvalidRequest(ALREADY_COMPLETED)
        provider.audit.record(
            AuditEvent(
                type=event_type,
                occurred_at=now,
                actor="user",
                user_id=user_id,
                client_id=paused.client.client_id,
                details={"scopes": list(paused.request.scopes if scopes is None else scopes)},
            )
        )
    return paused.request.refuse(AccessDenied(description))


def not_you(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> InteractionNeeded:
    """The login and consent pages' "Not you?": sign the browser's SSO session out, as a
    sign-out does, and show the login form again for the same paused request."""
    paused = load_interaction(provider, interaction_id, binding)
    here = LogoutRequest(paused.client, post_logout_redirect_uri=None, state=None, hint_sid=None)
    end_session(provider, session_cookie, here)
    return InteractionNeeded("login", paused.interaction_id, paused.client, paused.request)


def resume(
    provider: Provider, interaction_id: str | None, session_cookie: str | None, binding: str
) -> AuthorizationOutcome:
    """GET /consent: continue a paused request; the consent page shows the outcome when it
    is a consent pause."""
    paused = load_interaction(provider, interaction_id, binding, completed=True)
    return resume_paused(provider, paused, browser_state(provider, session_cookie, binding))


DECLINED = "the user declined to grant access"
# What makes the request a sign-in (OIDC Core §3.1.2.1): the consent page cannot leave it
# out. Every other scope is optional: the person may untick it.
REQUIRED_SCOPES = frozenset({"openid"})


def record_consent(
    provider: Provider,
    interaction_id: str | None,
    session_cookie: str | None,
    binding: str,
    subject: str | None,
    allow: bool,
    chosen: frozenset[str] | None = None,
) -> AuthorizationOutcome:
    """POST /consent: ``allow`` stores the consent of ``subject`` (the user the page was
    shown to) for the scopes they left ticked (``chosen``; None: all, and REQUIRED_SCOPES
    whatever was ticked) and the ones they left out, and resumes with the granted ones; a
    denial is access_denied at the client (RFC 6749 §4.1.2.1), and so is an Allow that
    leaves the request no scope at all. Whatever the answer, a request for an admin-only
    scope that no admin consent covers is access_denied too, saying an administrator must
    approve: the page that says so answers here, and no form can grant such a scope."""
    paused = load_interaction(provider, interaction_id, binding)
    browser = browser_state(provider, session_cookie, binding)
    person = browser.user.id if browser.user is not None else None
    home = presence_missing(provider, paused.client)
    if home is not None and not people_may_add(provider):
        description = not_available(provider, paused.client)
        raise _refusal(provider, paused, description, "consent.not_available", person)
    missing = approval_missing(provider, paused.client, paused.request.scopes)
    if missing:
        raise _refusal(
            provider,
            paused,
            admin_approval_needed(missing),
            "consent.admin_approval_required",
            person,
            missing,
        )
    if not allow:
        raise _refusal(provider, paused, DECLINED, "consent.denied", person)
    if browser.user is not None and subject == browser.user.id:
        need = consent_need(
            provider,
            paused.client,
            paused.request,
            replace(browser, interaction=paused.interaction),
        )
        asked = frozenset(need.ask)
        granted = asked & (chosen | REQUIRED_SCOPES) if chosen is not None else asked
        withheld = need.withheld | (asked - granted)
        scopes = tuple(s for s in paused.request.scopes if s not in withheld)
        if not scopes:
            raise _refusal(provider, paused, DECLINED, "consent.denied", person)
        now = provider.clock()
        with provider.transaction():
            declined = asked - granted
            provider.consents.grant(
                browser.user.id, paused.client.client_id, granted, now, declined=declined
            )
            provider.interactions.mark_consent(paused.interaction.id_hash, scopes)
            if home is not None:  # this tenant's policy lets the person add the application
                add_presence(provider, paused.client, home, browser.user.id, now)
            provider.audit.record(
                AuditEvent(
                    type="consent.granted",
                    occurred_at=now,
                    actor="user",
                    user_id=browser.user.id,
                    client_id=paused.client.client_id,
                    details={"granted": sorted(granted), "declined": sorted(declined)},
                )
            )
        paused = replace(
            paused,
            interaction=replace(paused.interaction, consent_given=True, granted_scopes=scopes),
        )
    # Otherwise the session ended while the page was open, or another person has signed in
    # in this browser since (another tab): the answer was given for someone else, so the
    # decision asks again, as whoever is signed in now.
    return resume_paused(provider, paused, browser)


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
