"""The verification page (RFC 8628 §3.3): the person enters the user code a device shows,
signs in, sees which application asks for what, and approves or denies.

The page (web/device.py) parses, calls one function here, and renders what it returns:

- ``find_request``: the code typed, under brute-force protection (accounts/throttle.py,
  factor ``user_code``, per address; RFC 8628 §5.1): a wrong, expired or already answered
  code counts as a failed attempt, and after a few the page makes the person wait;
- ``confirmation``: who must answer; a browser without a sign-in strong enough for the
  application is sent to sign in (gatehouse's own sign-in, as the account page does), and
  comes back to the same request;
- ``answer``: the approval (with the consent stored, as the consent page stores it) or the
  denial, recorded once, with its audit event.

The page always asks, even when the person consented to the application before: the code
on the device is the only tie between the device and this browser, and the person must
compare it (§5.4, remote phishing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gatehouse.accounts.assurance import ACR_MFA
from gatehouse.accounts.throttle import USER_CODE_SUBJECT, Attempt, Refusal, address_key
from gatehouse.protocol.admin_consent import admin_only, apis_for, approval_missing
from gatehouse.protocol.authorization import AuthorizationRequest, BrowserState, reported_acr
from gatehouse.protocol.device import grouped, normalized_user_code, user_code_hash
from gatehouse.protocol.issuance import new_grant_id
from gatehouse.protocol.mfa_policy import REQUIREMENT_RULES
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.signin import record_failure
from gatehouse.storage.records import (
    AuditEvent,
    Client,
    DeviceApproval,
    DeviceAuthorization,
    SsoSession,
    User,
)


@dataclass(frozen=True)
class DeviceRequest:
    """A pending request the person named by its user code (``code``, as stored)."""

    authorization: DeviceAuthorization
    client: Client
    code: str

    @property
    def shown_code(self) -> str:
        return grouped(self.code)


@dataclass(frozen=True)
class CodeRefused:
    """The code typed names no pending request (``refusal`` None: just that) or brute-force
    protection makes the person wait (``refusal``; ``checked`` False: refused before the
    code was looked up)."""

    refusal: Refusal | None = None
    checked: bool = True


@dataclass(frozen=True)
class SignInNeeded:
    """The browser must sign in first; ``acr_values``: with a second factor, which the
    application requires."""

    request: DeviceRequest
    acr_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Confirmation:
    """Ask ``user``: approve or deny ``request``? When ``admin_approval`` names admin-only
    scopes no admin consent covers, the person can only deny (protocol/admin_consent.py)."""

    request: DeviceRequest
    user: User
    admin_approval: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answered:
    """The answer was recorded: the device's next poll gets tokens, or access_denied."""

    approved: bool
    client: Client


Shown = CodeRefused | SignInNeeded | Confirmation


def find_request(
    provider: Provider, typed: str | None, address: str | None
) -> DeviceRequest | CodeRefused:
    """The pending request the typed code names. A string that cannot be a user code is
    refused without counting (nothing was compared); any other miss counts."""
    now = provider.clock()
    attempt = Attempt("user_code", USER_CODE_SUBJECT, address_key(address))
    guard = provider.throttle.guard(attempt, now)
    if guard.refusal is not None:
        return CodeRefused(guard.refusal, checked=False)
    code = normalized_user_code(typed)
    if code is None:
        return CodeRefused()
    found = provider.device_authorizations.by_user_code(user_code_hash(code))
    client = provider.clients.get(found.client_id) if found is not None else None
    miss = _why_unusable(found, client, now)
    if miss is not None or found is None or client is None:
        with provider.transaction():
            failure = record_failure(
                provider,
                guard,
                now,
                reason=miss or "unknown_user_code",
                user_id=None,
                username=None,
                client_id=found.client_id if found is not None else None,
                address=address,
            )
        return CodeRefused(failure.refusal)
    # A right code does not clear the address's failures (``guard.succeeded``): anyone can
    # get right codes at will, by starting device requests of their own, and would clear
    # the count between guesses.
    return DeviceRequest(found, client, code)


def _why_unusable(found: DeviceAuthorization | None, client: Client | None, now: int) -> str | None:
    """For the operator (signin.failed reason); the person is told the same each time."""
    if found is None or client is None:
        return "unknown_user_code"
    if found.expires_at <= now:
        return "expired_user_code"
    if found.status != "pending":
        return "answered_user_code"
    return None


def confirmation(provider: Provider, request: DeviceRequest, browser: BrowserState) -> Shown:
    """Who answers: the person signed in in this browser, once their sign-in is strong
    enough for the application (the tenant's and the client's second-factor rules, as at
    /authorize, docs/mfa.md); otherwise a sign-in first."""
    if browser.user is None or browser.session is None:
        return SignInNeeded(request)
    if not _strong_enough(provider, request.client, browser.session):
        return SignInNeeded(request, (ACR_MFA,))
    scopes = request.authorization.scopes
    return Confirmation(request, browser.user, approval_missing(provider, request.client, scopes))


def _strong_enough(provider: Provider, client: Client, session: SsoSession) -> bool:
    request = AuthorizationRequest(client.client_id)
    methods = frozenset(session.amr)
    return all(
        requirement.met_by(methods)
        for rule in REQUIREMENT_RULES
        if (requirement := rule(provider, client, request)) is not None
    )


def resume(
    provider: Provider, code: str | None, browser: BrowserState, address: str | None
) -> Shown:
    """Back from signing in with the code the person entered before: the question again."""
    found = find_request(provider, code, address)
    return found if isinstance(found, CodeRefused) else confirmation(provider, found, browser)


DecisionEvent = Literal["device.approved", "device.denied"]


def answer(
    provider: Provider,
    code: str | None,
    browser: BrowserState,
    subject: str | None,
    approve: bool,
    address: str | None,
) -> Shown | Answered:
    """The person's answer for the request ``code`` names, given by ``subject`` (the user
    the question was shown to). When someone else is signed in now (another tab), or the
    sign-in ended, the question is asked again of whoever is there."""
    shown = resume(provider, code, browser, address)
    if not isinstance(shown, Confirmation) or shown.user.id != subject:
        return shown
    if approve and shown.admin_approval:
        return shown  # only an administrator can grant them: the question again, with why
    assert browser.session is not None
    request, user, now = shown.request, shown.user, provider.clock()
    authorization = request.authorization
    with provider.transaction():
        if approve:
            session = browser.session
            approval = DeviceApproval(
                user.id,
                new_grant_id(),
                session.auth_time,
                session.amr,
                reported_acr((), session.amr),
            )
            recorded = provider.device_authorizations.approve(
                authorization.device_code_hash, approval, now
            )
            if recorded:
                # The person's consent, as the consent page stores it: never an admin-only
                # scope, which only the admin consent grants.
                scopes = frozenset(authorization.scopes)
                own = scopes - admin_only(scopes, apis_for(provider, scopes))
                provider.consents.grant(user.id, request.client.client_id, own, now)
        else:
            recorded = provider.device_authorizations.deny(
                authorization.device_code_hash, user.id, now
            )
        if recorded:
            event: DecisionEvent = "device.approved" if approve else "device.denied"
            provider.audit.record(
                AuditEvent(
                    type=event,
                    occurred_at=now,
                    actor="user",
                    user_id=user.id,
                    client_id=request.client.client_id,
                    ip=address,
                    details={"scopes": list(authorization.scopes)},
                )
            )
    # Answered meanwhile (another tab, the same code twice): the code names no pending
    # request any more.
    return Answered(approve, request.client) if recorded else CodeRefused()
