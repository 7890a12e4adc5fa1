"""The resource owner password credentials grant (RFC 6749 §4.3), for legacy apps only.

RFC 9700 §2.4 says it MUST NOT be used: the app handles the person's password, and nothing
stronger than a password can be asked. gatehouse keeps it for the app that cannot yet move
to the code flow, off unless an operator gives one confidential client the ``password``
grant (admin/client_grants.py), and it signs the person in exactly as the login page does:

- the same sign-in code (protocol/signin.py ``check_password`` → verify → ``record_password``),
  so failures count on the same counters, locks refuse the same way, and the audit log
  records the same events (with ``grant: password``);
- an account that needs a second factor, under the tenant's or the client's policy or
  because the person set one up (protocol/mfa_policy.py), is refused: the grant has no way
  to ask for it, and letting the password alone through would make the factor worthless;
- there is no consent page: a first-party client gets what it asks for, as at the
  authorization endpoint; another client only the scopes the person already granted it
  in the browser, or an administrator for everyone (protocol/decision.py
  ``first_party_is_trusted``, ``stored_consent_covers``; protocol/admin_consent.py).
"""

from __future__ import annotations

from gatehouse.accounts.authentication import verify_password
from gatehouse.errors import InvalidGrant, InvalidScope, UnmetAuthenticationRequirements
from gatehouse.protocol import audiences, scopes
from gatehouse.protocol.admin_consent import consented_scopes
from gatehouse.protocol.authorization import AuthorizationRequest, reported_acr
from gatehouse.protocol.issuance import UserGrant, issue_user_tokens, new_grant_id
from gatehouse.protocol.messages import Parameters, split_scope
from gatehouse.protocol.mfa_policy import factor_needed
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.signin import Source, check_password, record_password
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import AuditEvent, Client, User

PASSWORD = "password"
AMR = ("pwd",)  # RFC 8176 §2


class PasswordGrant:
    grant_type = PASSWORD

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        """RFC 6749 §4.3.2: username, password and an optional scope."""
        login = params.require("username")
        password = params.require("password")
        resources, requested = _requested(provider, client, params)
        now = provider.clock()
        checked = check_password(provider, login, Source(address), now)
        if checked.guard.refusal is not None:
            raise InvalidGrant(checked.guard.refusal.message)
        user = verify_password(provider.users, provider.passwords, checked.user, password)
        with provider.transaction():
            recorded = record_password(provider, checked, user, client.client_id, now)
        if user is None:
            refusal = recorded.refusal
            wait = f" {refusal.message}" if refusal is not None else ""
            raise InvalidGrant(f"the username or password is not right.{wait}")
        _refuse_second_factor(provider, client, user, address, now)
        granted = _granted_scopes(provider, client, user, requested)
        grant = UserGrant(
            client=client,
            user=user,
            scopes=granted,
            grant_id=new_grant_id(),
            auth_time=now,
            sid=None,
            amr=AMR,
            acr=reported_acr((), AMR),
            resources=resources,
        )
        with provider.transaction():
            response = issue_user_tokens(provider, grant)
            _record(provider, "signin.succeeded", user, client, address, now, methods=list(AMR))
        return response


def _requested(
    provider: Provider, client: Client, params: Parameters
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RFC 8707 §2: the APIs named (each one the client may obtain tokens for); RFC 6749
    §3.3: the scopes asked for, each one the client may request, and without a scope
    parameter every scope the client is registered for (its pre-defined default)."""
    apis = provider.apis.list()
    resources = params.all("resource")
    if resources:
        resources = audiences.check_resources(
            resources, client, apis, provider.apis, provider.config.default_audience
        )
    requested = split_scope(params.get("scope")) or client.allowed_scopes
    return resources, scopes.resolve_requested(requested, client.allowed_scopes, apis, resources)


def _refuse_second_factor(
    provider: Provider, client: Client, user: User, address: str | None, now: int
) -> None:
    """A second factor the grant cannot ask for refuses the sign-in (after the password,
    so the refusal tells nothing to someone who does not know it)."""
    try:
        need = factor_needed(
            provider, client, AuthorizationRequest(client.client_id), user, AMR, signing_in=True
        )
        reason = need.reason if need is not None else None
    except UnmetAuthenticationRequirements as unmet:
        reason = unmet.description
    if reason is None:
        return
    with provider.transaction():
        _record(
            provider,
            "signin.failed",
            user,
            client,
            address,
            now,
            reason="second_factor_required",
            factor="password",
        )
    raise InvalidGrant(
        f"this account needs a second factor ({reason}), which the password grant cannot "
        "ask for; the person must sign in through the browser (the authorization code flow)"
    )


def _granted_scopes(
    provider: Provider, client: Client, user: User, requested: tuple[str, ...]
) -> tuple[str, ...]:
    """No consent page: a first-party client is trusted as at the authorization endpoint;
    any other gets only what the person granted it before, in the browser, or an
    administrator for everyone (protocol/admin_consent.py)."""
    if client.first_party:
        return requested
    consented = consented_scopes(provider, user.id, client.client_id)
    granted = tuple(s for s in requested if s in consented)
    if requested and not granted:
        raise InvalidScope(
            "the person has not consented to any of the requested scopes for this client, and "
            "the password grant has no consent page: they must sign in to it once through "
            "the browser, or the operator must make it a first-party client"
        )
    return granted


def _record(
    provider: Provider,
    event_type: str,
    user: User,
    client: Client,
    address: str | None,
    now: int,
    **details: object,
) -> None:
    provider.audit.record(
        AuditEvent(
            type=event_type,
            occurred_at=now,
            actor="user",
            user_id=user.id,
            username=user.username,
            client_id=client.client_id,
            ip=address,
            details={**details, "grant": PASSWORD},
        )
    )
