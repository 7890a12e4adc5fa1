"""The schema, as SQLAlchemy Core tables. Alembic migrations in ``storage/migrations`` create it.

Conventions: every table carries ``tenant_id``; times are integer Unix seconds (UTC), which
compare the same way on SQLite and PostgreSQL; high-entropy secrets appear only as SHA-256
hex digests (columns named ``*_hash``); lists of strings are JSON arrays.
"""

from __future__ import annotations

import sqlalchemy as sa

# APIs, their scopes and app roles, and the roles granted to clients: api_tables.py.
from gatehouse.storage.sql.api_tables import api_permissions as api_permissions
from gatehouse.storage.sql.api_tables import apis as apis
from gatehouse.storage.sql.api_tables import client_app_roles as client_app_roles

# Admin consents (one row per client): consent_tables.py.
from gatehouse.storage.sql.consent_tables import admin_consents as admin_consents

# The device authorization grant's table is in device_tables.py.
from gatehouse.storage.sql.device_tables import device_authorizations as device_authorizations

# Token exchange grants and trusted external issuers (the JWT bearer grant, token exchange):
# exchange_tables.py.
from gatehouse.storage.sql.exchange_tables import token_exchange_grants as token_exchange_grants
from gatehouse.storage.sql.exchange_tables import trusted_issuer_clients as trusted_issuer_clients
from gatehouse.storage.sql.exchange_tables import trusted_issuers as trusted_issuers

# Federation to upstream identity providers: federation_tables.py.
from gatehouse.storage.sql.federation_tables import federated_identities as federated_identities
from gatehouse.storage.sql.federation_tables import federated_sessions as federated_sessions
from gatehouse.storage.sql.federation_tables import federation_states as federation_states
from gatehouse.storage.sql.federation_tables import upstream_providers as upstream_providers

# Groups, their members and app roles assigned to people: group_tables.py.
from gatehouse.storage.sql.group_tables import app_role_assignments as app_role_assignments
from gatehouse.storage.sql.group_tables import group_members as group_members
from gatehouse.storage.sql.group_tables import groups as groups

# What logout needs (the clients of a session, the back-channel queue): logout_tables.py.
from gatehouse.storage.sql.logout_tables import backchannel_logouts as backchannel_logouts
from gatehouse.storage.sql.logout_tables import session_clients as session_clients
from gatehouse.storage.sql.metadata import Time
from gatehouse.storage.sql.metadata import metadata as metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# Pushed authorization requests (RFC 9126) are declared in request_tables.py.
from gatehouse.storage.sql.request_tables import (
    pushed_authorization_requests as pushed_authorization_requests,
)

# The tables of the audit log and of signing in (second factors, passkeys, brute-force
# protection, self-service accounts) are declared in sign_in_tables.py, to keep each module short.
from gatehouse.storage.sql.sign_in_tables import audit_events as audit_events
from gatehouse.storage.sql.sign_in_tables import email_requests as email_requests
from gatehouse.storage.sql.sign_in_tables import email_tokens as email_tokens
from gatehouse.storage.sql.sign_in_tables import failed_attempts as failed_attempts
from gatehouse.storage.sql.sign_in_tables import known_browsers as known_browsers
from gatehouse.storage.sql.sign_in_tables import outgoing_mail as outgoing_mail
from gatehouse.storage.sql.sign_in_tables import passkey_challenges as passkey_challenges
from gatehouse.storage.sql.sign_in_tables import passkeys as passkeys
from gatehouse.storage.sql.sign_in_tables import recovery_codes as recovery_codes
from gatehouse.storage.sql.sign_in_tables import totp_authenticators as totp_authenticators

# The tenants themselves: tenant_tables.py.
from gatehouse.storage.sql.tenant_tables import tenants as tenants

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    _tenant(),
    sa.Column("kid", sa.String(128), primary_key=True),
    sa.Column("alg", sa.String(16), nullable=False),
    sa.Column("public_jwk", sa.JSON, nullable=False),
    # AES-GCM(nonce || ciphertext) of the PKCS#8 PEM, under a key derived from secret_key.
    sa.Column("private_key_encrypted", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("activates_at", Time, nullable=False),
    # Set when a newer key takes over signing; the key stays published until published_until.
    sa.Column("retired_at", Time, nullable=True),
    sa.Column("published_until", Time, nullable=True),
    # 0026: a tenant's keys, read by every process twice a minute and by every JWKS request.
    sa.Index("ix_signing_keys_tenant", "tenant_id", "created_at"),
)

clients = sa.Table(
    "clients",
    metadata,
    _tenant(),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("client_type", sa.String(16), nullable=False),
    sa.Column("auth_method", sa.String(32), nullable=False),
    sa.Column("grant_types", sa.JSON, nullable=False),
    sa.Column("redirect_uris", sa.JSON, nullable=False),
    sa.Column("post_logout_redirect_uris", sa.JSON, nullable=False),
    sa.Column("allowed_scopes", sa.JSON, nullable=False),
    sa.Column("web_origins", sa.JSON, nullable=False),
    sa.Column("first_party", sa.Boolean, nullable=False, default=False),
    sa.Column("id_token_signing_alg", sa.String(16), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    # 0002: private_key_jwt keys (by value or by URI) and the refresh rotation switch.
    sa.Column("jwks", sa.JSON, nullable=True),
    sa.Column("jwks_uri", sa.String(2048), nullable=True),
    sa.Column("refresh_token_rotation", sa.Boolean, nullable=False, server_default=sa.true()),
    # 0006: logout notification endpoints (OIDC Back-Channel and Front-Channel Logout 1.0).
    sa.Column("backchannel_logout_uri", sa.String(2048), nullable=True),
    sa.Column(
        "backchannel_logout_session_required", sa.Boolean, nullable=False, server_default=sa.true()
    ),
    sa.Column("frontchannel_logout_uri", sa.String(2048), nullable=True),
    sa.Column(
        "frontchannel_logout_session_required", sa.Boolean, nullable=False, server_default=sa.true()
    ),
    # 0008: every sign-in to this client needs a second factor (docs/mfa.md).
    sa.Column("require_mfa", sa.Boolean, nullable=False, server_default=sa.false()),
    # 0016: RFC 9126 §6 and RFC 9101 §10.5 client metadata.
    sa.Column(
        "require_pushed_authorization_requests",
        sa.Boolean,
        nullable=False,
        server_default=sa.false(),
    ),
    sa.Column("request_object_signing_alg", sa.String(16), nullable=True),
    # 0018: the response types the client may use at the authorization endpoint.
    sa.Column("response_types", sa.JSON, nullable=False, server_default="[]"),
    # 0019: every token request of this client must carry a DPoP proof (RFC 9449 §5.2).
    sa.Column("require_dpop", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("groups_claim", sa.String(8), nullable=True),  # 0020: "ids", "names" or NULL (off)
    sa.Column("token_profile", sa.String(16), nullable=False, server_default="oidc"),  # 0022
    # 0025: people of other tenants may use it where it has a presence (docs/multi-tenant-apps.md);
    # the index finds a multi-tenant client by its id alone, whichever tenant is its home.
    sa.Column("multi_tenant", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("tenant_id", "client_id"),
    sa.Index("ix_clients_multi_tenant_id", "client_id", "multi_tenant"),
)

client_secrets = sa.Table(
    "client_secrets",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=True),
    sa.Column("revoked_at", Time, nullable=True),
    # 0002: only for client_secret_jwt, which needs the secret itself as the HMAC key:
    # AES-GCM under the key-encryption key, never plain.
    sa.Column("secret_encrypted", sa.LargeBinary, nullable=True),
    sa.ForeignKeyConstraint(
        ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"], ondelete="CASCADE"
    ),
    sa.Index("ix_client_secrets_client", "tenant_id", "client_id"),
)

users = sa.Table(
    "users",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), primary_key=True),  # the stable `sub`
    sa.Column("username", sa.String(255), nullable=False),
    sa.Column("username_normalized", sa.String(255), nullable=False),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("email_normalized", sa.String(320), nullable=True),
    sa.Column("email_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("given_name", sa.String(255), nullable=True),
    sa.Column("family_name", sa.String(255), nullable=True),
    sa.Column("phone_number", sa.String(64), nullable=True),
    sa.Column("phone_number_verified", sa.Boolean, nullable=False, default=False),
    sa.Column("address", sa.JSON, nullable=True),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("password_changed_at", Time, nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.UniqueConstraint("tenant_id", "username_normalized"),
    sa.UniqueConstraint("tenant_id", "email_normalized"),
)

scopes = sa.Table(
    "scopes",
    metadata,
    _tenant(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.String(1024), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "name"),
)

sso_sessions = sa.Table(
    "sso_sessions",
    metadata,
    _tenant(),
    sa.Column("id_hash", sa.String(64), primary_key=True),  # SHA-256 of the cookie value
    sa.Column("sid", sa.String(64), nullable=False, unique=True),  # public, goes in ID tokens
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("auth_time", Time, nullable=False),
    sa.Column("amr", sa.JSON, nullable=False),
    sa.Column("acr", sa.String(255), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_seen_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("ended_at", Time, nullable=True),
    # 0007: "Remember me", the session's own idle lifetime (NULL: the setting's), the device.
    sa.Column("remember_me", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("idle_lifetime", sa.Integer, nullable=True),
    sa.Column("device", sa.String(256), nullable=True),
    sa.Index("ix_sso_sessions_user", "tenant_id", "user_id"),
)

consents = sa.Table(
    "consents",
    metadata,
    _tenant(),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("granted_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    # 0007: the scopes left out on the consent page (NULL: none).
    sa.Column("declined_scopes", sa.JSON, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "user_id", "client_id"),
)

interactions = sa.Table(
    "interactions",
    metadata,
    _tenant(),
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),  # the validated authorization request
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("login_completed_at", Time, nullable=True),
    sa.Column("consent_given", sa.Boolean, nullable=False, default=False),
    sa.Column("completed_at", Time, nullable=True),
    # 0003: SHA-256 of the browser's binding cookie; only that browser may finish it.
    sa.Column("browser_hash", sa.String(64), nullable=True),
    # 0007: the scopes the person granted on the consent page of this request.
    sa.Column("granted_scopes", sa.JSON, nullable=True),
    # 0008: the person the factors so far identified, the factors verified in this
    # interaction (RFC 8176 amr values), and wrong second-factor answers given in it.
    sa.Column("user_id", sa.String(36), nullable=True),
    sa.Column("amr", sa.JSON, nullable=True),
    sa.Column("factor_failures", sa.Integer, nullable=False, server_default="0"),
    # 0008: "Remember me" and the device, kept from the login page to the second factor.
    sa.Column("remember_me", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("device", sa.String(256), nullable=True),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    _tenant(),
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("grant_id", sa.String(36), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("sid", sa.String(64), nullable=True),
    sa.Column("redirect_uri", sa.String(2048), nullable=False),
    sa.Column("redirect_uri_given", sa.Boolean, nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("nonce", sa.String(512), nullable=True),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("resources", sa.JSON, nullable=True),  # 0002: RFC 8707 resource parameters
    sa.Column("auth_time", Time, nullable=False),
    sa.Column("amr", sa.JSON, nullable=False),
    sa.Column("acr", sa.String(255), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
    # Written in the same UPDATE that consumes the code, so a replay can revoke it.
    sa.Column("access_token_jti", sa.String(64), nullable=True),
    sa.Column("access_token_expires_at", Time, nullable=True),
    sa.Column("claims_request", sa.JSON, nullable=True),  # 0016: OIDC Core §5.5
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    _tenant(),
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("grant_id", sa.String(36), nullable=False),  # the token family
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("sid", sa.String(64), nullable=True),  # NULL for offline tokens
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("resources", sa.JSON, nullable=True),  # 0002
    sa.Column("auth_time", Time, nullable=False),
    sa.Column("amr", sa.JSON, nullable=False),
    sa.Column("acr", sa.String(255), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("idle_expires_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
    sa.Column("revoked_at", Time, nullable=True),
    # 0003: the access token issued with this refresh token, so that revoking the family
    # can put it on the deny-list too.
    sa.Column("access_token_jti", sa.String(64), nullable=True),
    sa.Column("access_token_expires_at", Time, nullable=True),
    # 0013: the token that replaced this one when it was used (rotation), so that a retry
    # of a lost response within the retry window can replace that successor.
    sa.Column("successor_hash", sa.String(64), nullable=True),
    sa.Column("claims_request", sa.JSON, nullable=True),  # 0016: as on the code
    # 0019: a public client's token is bound to its DPoP key (RFC 9449 §5): the thumbprint.
    sa.Column("dpop_jkt", sa.String(64), nullable=True),
    sa.Index("ix_refresh_tokens_grant", "tenant_id", "grant_id"),
    sa.Index("ix_refresh_tokens_user_client", "tenant_id", "user_id", "client_id"),
)

revoked_grants = sa.Table(
    "revoked_grants",
    metadata,
    _tenant(),
    sa.Column("grant_id", sa.String(36), primary_key=True),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("revoked_at", Time, nullable=False),
)

# 0004: access tokens issued by a refresh without rotation, and (since 0018) by the
# authorization endpoint itself (hybrid and implicit responses). No code or refresh-token
# row holds their jti, so they are recorded here against their grant, for its revocation.
refreshed_access_tokens = sa.Table(
    "refreshed_access_tokens",
    metadata,
    _tenant(),
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("grant_id", sa.String(36), nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Index("ix_refreshed_access_tokens_grant", "tenant_id", "grant_id"),
)

revoked_access_tokens = sa.Table(
    "revoked_access_tokens",
    metadata,
    _tenant(),
    sa.Column("jti", sa.String(64), primary_key=True),
    # Kept until the token would have expired anyway.
    sa.Column("expires_at", Time, nullable=False),
)

# -- 0002: one-time client assertions (the APIs of 0002 are in api_tables.py) ---------------
used_client_assertions = sa.Table(
    "used_client_assertions",
    metadata,
    _tenant(),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("jti", sa.String(255), nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    # The primary key makes a replayed assertion fail at INSERT (RFC 7523 §3 item 7).
    sa.PrimaryKeyConstraint("tenant_id", "client_id", "jti"),
)

used_dpop_proofs = sa.Table(
    "used_dpop_proofs",
    metadata,
    _tenant(),
    sa.Column("jti_hash", sa.String(64), nullable=False),  # SHA-256 of the key and the jti
    sa.Column("expires_at", Time, nullable=False),
    # The primary key makes a replayed proof fail at INSERT (RFC 9449 §11.1).
    sa.PrimaryKeyConstraint("tenant_id", "jti_hash"),
)
