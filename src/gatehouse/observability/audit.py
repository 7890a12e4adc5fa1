"""The audit log's vocabulary: every event type gatehouse records, with what it means.

Events are rows in the database (storage: ``AuditRepository``), written in the same
transaction as the change they record, listed by ``gatehouse audit list`` and deleted by the
purge after ``audit_retention``. This table is their documentation (docs/audit.md lists it),
and ``AuditEvent`` refuses a type that is not in it, so the vocabulary cannot drift.

What an event never holds: a password, a secret, a token, a code, or anything from which
one could be rebuilt. ``details`` carries names and reasons only.
"""

from __future__ import annotations

from typing import Final, Literal

#: Who caused the event: the person (``user``), an operator through the CLI (``operator``),
#: a client application (``client``), or gatehouse itself (``system``, e.g. an expiry).
Actor = Literal["user", "operator", "client", "system"]

EVENT_TYPES: Final[dict[str, str]] = {
    # Sign-in
    "signin.succeeded": "A person signed in (details: methods used, remember-me; grant: "
    "password when a legacy app signed them in with the password grant).",
    "signin.failed": "A sign-in was refused (details: reason: wrong_password, unknown_user, "
    "account_disabled, no_password, or the second factor's, or second_factor_required when "
    "the password grant met an account that needs one, or for a code typed on the device page "
    "unknown_user_code, expired_user_code, answered_user_code; factor; grant: password for "
    "the password grant; username holds the login tried).",
    "signin.locked": "A lock began after repeated failed sign-ins (details: scope: source, "
    "this login from this address; account, this login from every unknown browser; address, "
    "this address for every login; until; factor).",
    "signin.unlocked": "An operator cleared an account's lockout (`gatehouse user unlock`).",
    "signin.cancelled": "A person chose Cancel on the login or consent page; the client was "
    "answered access_denied.",
    # Federation to upstream identity providers (docs/federation.md): details name the
    # upstream's alias, never a token, code or claim value.
    "federation.user_created": "A first sign-in through an upstream identity provider created "
    "the local account (just-in-time; details: upstream).",
    "federation.linked": "An upstream identity was linked to an existing account after the "
    "person proved that account in the same sign-in (details: upstream).",
    "federation.failed": "A sign-in through an upstream identity provider was refused "
    "(details: upstream; reason: unknown_upstream, state, upstream_error, discovery, "
    "token_endpoint, id_token, issuer, audience, nonce, expired, account).",
    # Second factors (docs/mfa.md): details name the method (totp, recovery_code), never a code.
    "mfa.enrolled": "A person set up a second factor (details: method).",
    "mfa.removed": "A person removed a second factor (details: method).",
    "mfa.succeeded": "A person gave a right second factor while signing in (details: method).",
    "mfa.failed": "A wrong second factor was given (details: method); repeated failures "
    "throttle the account.",
    "mfa.step_up": "A signed-in person gave a further factor because an application asked "
    "for more (acr_values, require_mfa), without a new password (details: method).",
    "mfa.recovery_code_used": "A recovery code was spent (details: codes_left).",
    "mfa.recovery_codes_renewed": "A person replaced their recovery codes with new ones.",
    # Passkeys
    "passkey.registered": "A person added a passkey (details: its id and name).",
    "passkey.removed": "A person removed one of their passkeys (details: its id and name).",
    "passkey.used": "A passkey was verified, for a passwordless sign-in or as a second "
    "factor (details: its id and name).",
    "passkey.failed": "A passkey's answer was refused (details: reason: malformed, challenge "
    "(expired, spent or not this browser's), unknown_credential, wrong_user, verification "
    "(signature, origin, RP ID, user verification, a counter that did not grow), counter "
    "(two answers of one authenticator raced), cross_origin).",
    # Client authentication (token, introspection and revocation endpoints)
    "client.authentication_failed": "A client presented a wrong secret or an assertion not "
    "signed with its keys (details: method); ip is the caller's address.",
    "client.authentication_locked": "A client's authentication from one address was locked "
    "after repeated failures (details: until); other addresses are not affected.",
    # Consent
    "consent.granted": "A person consented to a client's scopes (details: the scopes granted, "
    "and those left out on the consent page).",
    "consent.denied": "A person denied a client's request on the consent page, or left no "
    "scope ticked; the client was answered access_denied.",
    "consent.revoked": "A consent was withdrawn, by the person or an operator; the client's "
    "refresh tokens for that person ended with it.",
    "consent.admin_approval_required": "A person was told that an administrator must approve "
    "the client for admin-only scopes no admin consent covers (details: those scopes); the "
    "client was answered access_denied.",
    "consent.not_available": "A person was told that another tenant's multi-tenant "
    "application is not available in their tenant, which has no presence of it; the client "
    "was answered access_denied.",
    "consent.presence_created": "A person's consent added another tenant's multi-tenant "
    "application to their tenant (its presence; the tenant's policy "
    "user_consent_adds_multi_tenant_apps allows it; details: home_tenant).",
    "device.approved": "A person approved a device's request on the device page (details: "
    "the scopes); the device's next poll gets the tokens, and the consent is stored.",
    "device.denied": "A person denied a device's request on the device page; the device's "
    "next poll is answered access_denied.",
    # Sessions and tokens
    "session.ended": "An SSO session ended (details: sid; reason: logout, operator_sign_out, "
    "password_changed, user_disabled, another_sign_in; the clients that took part, and those "
    "sent a back-channel logout).",
    "logout.delivery_abandoned": "gatehouse gave up delivering a back-channel logout to a "
    "client (details: attempts, last error).",
    "token.revoked": "A token was revoked (details: token type, how).",
    "token.exchanged": "A client exchanged a user's access token for one for another API, on "
    "the user's behalf (RFC 8693; details: api, scopes, impersonation, the new token's jti, "
    "the client and API the subject token was for).",
    "token.exchange_refused": "A token exchange was refused (details: error, reason, and the "
    "subject token's client and API once it was recognised).",
    "token.jwt_bearer.issued": "A workload's token from a trusted external issuer was "
    "exchanged for an access token with the JWT bearer grant (details: issuer, subject).",
    "token.jwt_bearer.refused": "A JWT bearer grant was refused (details: reason: malformed, "
    "untrusted_issuer, algorithm, keys_unavailable, unknown_key, signature, audience, "
    "expired, not_yet_valid, issued_in_future, subject_missing, client_not_allowed, "
    "subject_not_allowed; the issuer, and the subject once the token was verified).",
    # The person's own account page (docs/account.md)
    "account.profile_updated": "A person changed their own profile claims on the account "
    "page (details: the claims changed, not their values).",
    "account.password_changed": "A person changed their password on the account page; their "
    "other sessions and every refresh token ended with it.",
    # Self-service accounts (docs/self-service.md)
    "account.registered": "A person created their own account at /register; its email "
    "address is not verified yet.",
    "email.verified": "A person confirmed their email address through an emailed link.",
    "password.reset_requested": "Someone asked for a password-reset link (username holds the "
    "address typed; user_id is set only when it is an account's, and only then is a link sent).",
    "password.reset": "A person set a new password through an emailed link; every session "
    "and refresh token of theirs ended.",
    # Administration (`gatehouse` commands and `apply`): details name the fields changed,
    # never their secret values.
    "admin.client.created": "An operator registered a client (details: secret_id when it was "
    "given a secret).",
    "admin.client.updated": "An operator changed a client's registration (details: fields changed; "
    "secret_id when a new secret replaced the old ones).",
    "admin.client.deleted": "An operator deleted a client.",
    "admin.client.secret_added": "An operator issued a further client secret (details: secret_id, "
    "expires_at).",
    "admin.client.secret_revoked": "An operator revoked a client secret (details: secret_id).",
    "admin.user.created": "An operator created a user.",
    "admin.user.updated": "An operator changed a user (details: fields changed; password and "
    "disabled are fields too, never their values).",
    "admin.user.signed_out": "An operator signed a user out of every SSO session (`gatehouse user "
    "sign-out`; details: sessions_ended); each session ended is also a session.ended event.",
    "admin.user.deleted": "An operator deleted a user.",
    "admin.user.second_factors_reset": (
        "An operator removed a user's authenticator app and recovery codes, and passkeys if "
        "asked (`gatehouse user reset-second-factors`; details: what was removed)."
    ),
    "admin.api.created": "An operator registered an API (details: api).",
    "admin.api.updated": "An operator changed an API or its permissions (details: api, fields "
    "changed).",
    "admin.api.deleted": "An operator deleted an API (details: api).",
    "admin.role.granted": "An operator granted an application permission, an app role, to a client "
    "(details: api, role).",
    "admin.role.revoked": "An operator revoked an application permission, an app role, from a "
    "client (details: api, role).",
    "admin.role.assigned": "An operator assigned an app role of an API to a person or a group "
    "(user_id for a person; details: api, role, group_id for a group).",
    "admin.role.unassigned": "An operator took an app role of an API back from a person or a "
    "group (user_id for a person; details: api, role, group_id for a group).",
    "admin.group.created": "An operator created a group (details: group_id, name).",
    "admin.group.updated": "An operator renamed a group or changed its description (details: "
    "group_id, fields changed).",
    "admin.group.deleted": "An operator deleted a group, its memberships and role assignments "
    "(details: group_id, name).",
    "admin.group.member_added": "An operator added a person (user_id) or a group (details: "
    "member_group_id) to a group (details: group_id).",
    "admin.group.member_removed": "An operator removed a person (user_id) or a group (details: "
    "member_group_id) from a group (details: group_id).",
    "admin.token_exchange.granted": "An operator allowed a client to exchange the user tokens "
    "it receives for tokens for an API, or changed the impersonation switch (details: api, "
    "impersonation).",
    "admin.token_exchange.revoked": "An operator took back a client's token exchange for an "
    "API (details: api).",
    "admin.consent.granted": "An operator consented to a client's scopes for every person of "
    "the tenant (`gatehouse consent grant-admin`; details: the scopes added; home_tenant "
    "when the consent made another tenant's multi-tenant application present here).",
    "admin.consent.revoked": "An operator withdrew an admin consent, or some of its scopes "
    "(`gatehouse consent revoke-admin`; details: scopes, grants_revoked: the client's "
    "refresh token families that relied on it, ended with it).",
    "admin.presence.removed": "An operator removed another tenant's multi-tenant application "
    "from this tenant (`gatehouse consent remove-presence`; details: home_tenant); its "
    "consents, codes and refresh tokens here ended with it.",
    "admin.presence.ended": "Another tenant's multi-tenant application is no longer present in "
    "this tenant: its home tenant deleted it or made it single-tenant (details: "
    "home_tenant); its consents, codes and refresh tokens here ended with it.",
    "admin.client.presences_ended": "A multi-tenant client was deleted or made single-tenant "
    "in its home tenant, which ended its presence in other tenants (details: tenants), with "
    "their consents, codes and refresh tokens of it.",
    "admin.scope.created": "An operator defined a scope (details: scope).",
    "admin.scope.updated": "An operator changed a scope's description (details: scope).",
    "admin.scope.deleted": "An operator deleted a scope (details: scope).",
    "admin.issuer.trusted": "An operator trusted an external issuer, or changed how its tokens "
    "are checked or which client a subject of it may act as (`gatehouse issuer trust`; "
    "details: issuer, fields changed; client_id: the client whose rule was set).",
    "admin.issuer.distrusted": "An operator removed a trusted issuer, or one client's rule of it "
    "(`gatehouse issuer distrust`; details: issuer; client_id: the client whose rule went).",
    "admin.federation.added": "An operator added an upstream identity provider (`gatehouse "
    "federation add`; details: upstream, fields).",
    "admin.federation.updated": "An operator changed an upstream identity provider (details: "
    "upstream, fields changed, client_secret among them when it was replaced; never values).",
    "admin.federation.removed": "An operator removed an upstream identity provider and every "
    "link to it (details: upstream).",
    "admin.key.rotated": "An operator rotated the signing keys (details: the new keys' kids and "
    "algs, and when they sign).",
    "admin.policy.updated": "An operator changed the tenant's policy (details: keys).",
    "admin.tenant.created": "An operator created a tenant (in the default tenant's log; "
    "details: tenant, the settings it was given).",
    "admin.tenant.updated": "An operator changed a tenant's settings (in the default tenant's "
    "log; details: tenant, keys).",
    "admin.tenant.deleted": "An operator deleted a tenant and every row it held (in the default "
    "tenant's log; details: tenant, rows).",
}


def is_event_type(name: str) -> bool:
    return name in EVENT_TYPES
