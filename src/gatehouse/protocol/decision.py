"""The decision that ends the authorization endpoint: sign in, then consent, then the response.

``decide`` compares a validated authorization request with the browser's SSO session and the
stored consent (OIDC Core §3.1.2.3, §3.1.2.4). It issues the response (a code, tokens or
both: protocol/authorization_response.py), or pauses for the login or
consent page: it stores the request as an interaction, whose secret id the pages carry and
which only the browser that started it can finish (protocol/interaction.py resumes it). The
policy is the ordered tuples ``LOGIN_RULES`` and ``CONSENT_RULES``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import ConsentRequired, InvalidRequest, LoginRequired
from gatehouse.protocol.admin_consent import admin_granted, admin_only, apis_for, approval_missing
from gatehouse.protocol.authorization import (
    AuthorizationOutcome,
    AuthorizationRequest,
    BrowserState,
    InteractionKind,
    InteractionNeeded,
)
from gatehouse.protocol.authorization_response import issue_response
from gatehouse.protocol.mfa_policy import factor_needed
from gatehouse.protocol.multi_tenant import not_available, people_may_add, presence_missing
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, Interaction, SsoSession, User

STEP_UP = ("verify", "enroll")
ALREADY_COMPLETED = "this sign-in was already completed; go back to the application and start again"

# -- Login policy (OIDC Core §3.1.2.3) --------------------------------------------------------

LoginRule = Callable[[Provider, AuthorizationRequest, SsoSession, User], str | None]


def prompt_asks_for_login(
    provider: Provider, request: AuthorizationRequest, session: SsoSession, user: User
) -> str | None:
    """OIDC Core §3.1.2.1: prompt=login asks for a new sign-in; so does select_account, which
    gatehouse answers with the login form (the person signs in as the account they choose)."""
    if "login" in request.prompt or "select_account" in request.prompt:
        return f"prompt={' '.join(request.prompt)} asks for a new sign-in"
    return None


def hint_names_another_user(
    provider: Provider, request: AuthorizationRequest, session: SsoSession, user: User
) -> str | None:
    """OIDC Core §3.1.2.1: id_token_hint names the user the client expects signed in."""
    if request.id_token_hint_sub is not None and request.id_token_hint_sub != user.id:
        return "the signed-in user is not the one id_token_hint names"
    return None


def max_age_is_zero(
    provider: Provider, request: AuthorizationRequest, session: SsoSession, user: User
) -> str | None:
    """OIDC Core §3.1.2.1 (errata): max_age=0 means the same as prompt=login."""
    return "max_age=0 asks for a new sign-in" if request.max_age == 0 else None


def max_age_has_passed(
    provider: Provider, request: AuthorizationRequest, session: SsoSession, user: User
) -> str | None:
    """OIDC Core §3.1.2.1: the last sign-in must be at most max_age seconds old."""
    if request.max_age is not None and provider.clock() - session.auth_time > request.max_age:
        return f"the user signed in more than max_age={request.max_age} seconds ago"
    return None


LOGIN_RULES: tuple[LoginRule, ...] = (
    prompt_asks_for_login,
    hint_names_another_user,
    max_age_is_zero,
    max_age_has_passed,
)


def why_login(
    provider: Provider, request: AuthorizationRequest, browser: BrowserState
) -> str | None:
    """Why the person must sign in: no session, or the first of ``LOGIN_RULES`` that asks
    for a new sign-in; None when none does, and None too when the person has just signed in
    for this very request."""
    if browser.session is None or browser.user is None:
        return "the user is not signed in"
    if browser.interaction is not None and browser.interaction.login_completed_at is not None:
        return None
    for rule in LOGIN_RULES:
        reason = rule(provider, request, browser.session, browser.user)
        if reason is not None:
            return reason
    return None


# -- Consent policy (OIDC Core §3.1.2.4) ------------------------------------------------------


@dataclass(frozen=True)
class ConsentNeed:
    """What the consent policy says about a request: the scopes to ask the person about
    (none: no consent page), and the requested scopes the person left out before, which the
    code goes without, unasked. ``admin_approval``: admin-only scopes no admin consent
    covers; the request cannot go on, whatever the person says."""

    ask: tuple[str, ...] = ()
    withheld: frozenset[str] = frozenset()
    admin_approval: tuple[str, ...] = ()
    # Another tenant's multi-tenant application with no presence here, which no person of
    # this tenant may add (protocol/multi_tenant.py): the request cannot go on either.
    not_available: bool = False


NO_CONSENT_NEEDED = ConsentNeed()

ConsentRule = Callable[[Provider, Client, AuthorizationRequest, User], ConsentNeed | None]


def proves_client_identity(client: Client, redirect_uri: str) -> bool:
    """RFC 8252 §8.6: whether a request could only have come from this client. A
    confidential client proves itself at the token endpoint, and an https redirect URI
    leads only to its owner; but any program on the device can listen on a loopback port
    or claim a private-use URI scheme and use a native app's client_id."""
    return not client.is_public or redirect_uri.startswith("https://")


def prompt_asks_for_consent(
    provider: Provider, client: Client, request: AuthorizationRequest, user: User
) -> ConsentNeed | None:
    """OIDC Core §3.1.2.1: prompt=consent asks for every scope, whoever the client is, the
    ones the person left out before included."""
    return ConsentNeed(request.scopes) if "consent" in request.prompt else None


def first_party_is_trusted(
    provider: Provider, client: Client, request: AuthorizationRequest, user: User
) -> ConsentNeed | None:
    """A first-party client (the administrator's own application) needs no consent."""
    return NO_CONSENT_NEEDED if client.first_party else None


def unproven_client_asks_each_time(
    provider: Provider, client: Client, request: AuthorizationRequest, user: User
) -> ConsentNeed | None:
    """RFC 8252 §8.6: a stored consent is not reused for a client whose identity the request
    cannot prove, "as if no previous request had been approved"."""
    return (
        None
        if proves_client_identity(client, request.redirect_uri)
        else ConsentNeed(request.scopes)
    )


def stored_consent_covers(
    provider: Provider, client: Client, request: AuthorizationRequest, user: User
) -> ConsentNeed | None:
    """Consent is stored per (user, client): asked again only for scopes beyond it. A scope
    the person left out is not asked about again (no nagging) and not granted either: the
    code goes without it, and the client sees so in the token response's scope (RFC 6749
    §5.1); prompt=consent asks again. When it would leave the request with no scope at
    all, the person is asked again instead."""
    consent = provider.consents.get(user.id, client.client_id)
    granted = consent.scopes if consent is not None else frozenset()
    declined = consent.declined_scopes if consent is not None else frozenset()
    if not granted.issuperset(request.scopes):
        # An administrator's consent covers the rest for every person, what they left out
        # before included: the organisation decided (read only when the person's own
        # consent does not cover the request, so the usual sign-in costs no extra read).
        tenant_wide = admin_granted(provider, client.client_id)
        granted, declined = granted | tenant_wide, declined - tenant_wide
    withheld = declined.intersection(request.scopes)
    if withheld and withheld.issuperset(request.scopes):
        return ConsentNeed(request.scopes)
    return ConsentNeed(tuple(s for s in request.scopes if s not in granted | declined), withheld)


# The first rule that answers (not None) decides which scopes the person is asked about.
CONSENT_RULES: tuple[ConsentRule, ...] = (
    prompt_asks_for_consent,
    first_party_is_trusted,
    unproven_client_asks_each_time,
    stored_consent_covers,
)


def consent_need(
    provider: Provider, client: Client, request: AuthorizationRequest, browser: BrowserState
) -> ConsentNeed:
    """What the person must be asked, and what the code goes without. Once they answered in
    this interaction: nothing to ask, and the code gets the scopes they granted. Before
    anything the person answered: the admin-only scopes no admin consent covers, which no
    answer of theirs can grant (a forged consent form included); and a person is never
    asked about an admin-only scope (admin_consent.py)."""
    assert browser.user is not None
    if presence_missing(provider, client) is not None and not people_may_add(provider):
        return ConsentNeed(not_available=True)
    missing = approval_missing(provider, client, request.scopes)
    if missing:
        return ConsentNeed(admin_approval=missing)
    interaction = browser.interaction
    if interaction is not None and interaction.consent_given:
        granted = interaction.granted_scopes
        if granted is None:  # an answer recorded before interactions kept the granted scopes
            return NO_CONSENT_NEEDED
        return ConsentNeed(withheld=frozenset(request.scopes).difference(granted))
    for rule in CONSENT_RULES:
        need = rule(provider, client, request, browser.user)
        if need is not None:
            return _never_asking_for_admin_only(provider, need)
    return NO_CONSENT_NEEDED


def _never_asking_for_admin_only(provider: Provider, need: ConsentNeed) -> ConsentNeed:
    """The need without the admin-only scopes: past ``approval_missing`` an administrator
    (or a first-party registration) granted them, and a person's answer could not."""
    only = admin_only(need.ask, apis_for(provider, need.ask))
    return replace(need, ask=tuple(s for s in need.ask if s not in only)) if only else need


def admin_approval_needed(scopes: tuple[str, ...]) -> str:
    """The error_description when admin-only ``scopes`` lack an admin consent."""
    return (
        f"an administrator must approve this application for {' '.join(scopes)}: only an "
        "admin consent can grant it, not the person (gatehouse consent grant-admin)"
    )


# -- The decision -----------------------------------------------------------------------------


def decide(
    provider: Provider, client: Client, request: AuthorizationRequest, browser: BrowserState
) -> AuthorizationOutcome:
    """Sign in, then consent, then the code; prompt=none turns a pause into an error at the
    client (OIDC Core §3.1.2.6)."""
    reason = why_login(provider, request, browser)
    if reason is not None:
        if "none" in request.prompt:
            raise request.refuse(LoginRequired(f"{reason} (prompt=none)"))
        return _pause(provider, "login", client, request, browser)
    assert browser.user is not None and browser.session is not None
    if request.id_token_hint_sub is not None and request.id_token_hint_sub != browser.user.id:
        # OIDC Core §3.1.2.1: someone else signed in than the user the hint names.
        raise request.refuse(
            LoginRequired("the user who signed in is not the one id_token_hint names")
        )
    # Step-up: the session's methods may not be enough for this client or acr_values; the
    # person then gives only the missing factor (protocol/verification.py).
    factor = factor_needed(
        provider, client, request, browser.user, browser.session.amr, signing_in=False
    )
    if factor is not None:
        if "none" in request.prompt:
            raise request.refuse(LoginRequired(f"{factor.reason} (prompt=none)"))
        return _pause(provider, factor.kind, client, request, browser)
    need = consent_need(provider, client, request, browser)
    if need.not_available:
        if "none" in request.prompt:
            raise request.refuse(
                ConsentRequired(f"{not_available(provider, client)} (prompt=none)")
            )
        return _pause(provider, "not_available", client, request, browser)
    if need.admin_approval:
        if "none" in request.prompt:
            raise request.refuse(
                ConsentRequired(f"{admin_approval_needed(need.admin_approval)} (prompt=none)")
            )
        return _pause(provider, "admin_approval", client, request, browser, need.admin_approval)
    if need.ask:
        if "none" in request.prompt:
            raise request.refuse(
                ConsentRequired(
                    f"the user has not consented to: {' '.join(need.ask)} (prompt=none)"
                )
            )
        return _pause(provider, "consent", client, request, browser, need.ask)
    if browser.interaction is not None and not provider.interactions.complete(
        browser.interaction.id_hash, provider.clock()
    ):
        raise InvalidRequest(ALREADY_COMPLETED)
    # The code, and every token from it, carries only the scopes the person granted.
    granted = tuple(s for s in request.scopes if s not in need.withheld)
    return issue_response(
        provider, client, replace(request, scopes=granted), browser.user, browser.session
    )


def _pause(
    provider: Provider,
    kind: InteractionKind,
    client: Client,
    request: AuthorizationRequest,
    browser: BrowserState,
    scopes_to_consent: tuple[str, ...] = (),
) -> InteractionNeeded:
    interaction_id = browser.interaction_id
    step_up = kind in STEP_UP and browser.user is not None
    if interaction_id is None or browser.interaction is None:
        interaction_id = random_token()
        now = provider.clock()
        provider.interactions.create(
            Interaction(
                id_hash=sha256_digest(interaction_id),
                client_id=client.client_id,
                request=request.to_dict(),
                created_at=now,
                expires_at=now + provider.config.interaction_lifetime,
                login_completed_at=None,
                consent_given=False,
                browser_hash=browser.binding,
                user_id=browser.user.id if step_up and browser.user else None,
                # A step-up upgrades the session: it stays remembered (or not), on its device.
                remember_me=step_up and browser.session is not None and browser.session.remember_me,
                device=browser.session.device if step_up and browser.session else None,
            )
        )
    elif (
        kind in STEP_UP
        and browser.user is not None
        and browser.interaction.user_id != browser.user.id
    ):
        # The factor is asked of the signed-in person; none of it done yet. The upgraded
        # session stays remembered (or not) and on its device.
        assert browser.session is not None
        provider.interactions.record_factors(
            browser.interaction.id_hash,
            browser.user.id,
            (),
            browser.session.remember_me,
            browser.session.device,
        )
    return InteractionNeeded(
        kind=kind,
        interaction_id=interaction_id,
        client=client,
        request=request,
        user=browser.user,
        scopes_to_consent=scopes_to_consent,
    )
