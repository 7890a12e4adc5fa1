"""The tables of the audit log and of signing in: second factors, passkeys, brute-force
protection and self-service accounts (emailed links, the mail queue). Part of the schema in
tables.py, which re-exports them; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0005: the audit log -------------------------------------------------------------------

audit_events = sa.Table(
    "audit_events",
    metadata,
    _tenant(),
    # Increasing: the order events were recorded in, and a cursor for paging.
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("occurred_at", Time, nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("actor", sa.String(16), nullable=False),  # user, operator, client, system
    sa.Column("user_id", sa.String(36), nullable=True),
    sa.Column("username", sa.String(320), nullable=True),  # the login tried, as typed
    sa.Column("client_id", sa.String(255), nullable=True),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Index("ix_audit_events_time", "tenant_id", "occurred_at"),
    sa.Index("ix_audit_events_user", "tenant_id", "user_id", "occurred_at"),
    sa.Index("ix_audit_events_client", "tenant_id", "client_id", "occurred_at"),
    sa.Index("ix_audit_events_type", "tenant_id", "type", "occurred_at"),
)


# -- 0008: second factors ---------------------------------------------------------------------

totp_authenticators = sa.Table(
    "totp_authenticators",
    metadata,
    _tenant(),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    # AES-GCM under the key-encryption key (keys/encryption.py), bound to the user.
    sa.Column("secret_encrypted", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    # NULL until the person typed a first valid code: until then it does not count.
    sa.Column("confirmed_at", Time, nullable=True),
    # The RFC 6238 time step of the last code accepted: a code is accepted once.
    sa.Column("last_used_step", Time, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "user_id"),
)

recovery_codes = sa.Table(
    "recovery_codes",
    metadata,
    _tenant(),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    # SHA-256 of the user id and the code (80 random bits: a slow hash would add nothing).
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "user_id", "code_hash"),
)

# -- 0009: passkeys (WebAuthn credentials) and the challenges of their ceremonies ----------

passkeys = sa.Table(
    "passkeys",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    # base64url of up to 1023 bytes (WebAuthn §5.8.3): 1364 characters.
    sa.Column("credential_id", sa.String(1400), nullable=False),
    sa.Column("public_key", sa.LargeBinary, nullable=False),  # COSE_Key
    sa.Column("sign_count", sa.BigInteger, nullable=False),
    sa.Column("transports", sa.JSON, nullable=False),
    sa.Column("aaguid", sa.String(36), nullable=False),
    sa.Column("backup_eligible", sa.Boolean, nullable=False),
    sa.Column("backed_up", sa.Boolean, nullable=False),
    sa.Column("user_handle", sa.String(128), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_used_at", Time, nullable=True),
    # A credential belongs to one account: registering it twice fails here.
    sa.UniqueConstraint("tenant_id", "credential_id"),
    sa.Index("ix_passkeys_user", "tenant_id", "user_id"),
)

passkey_challenges = sa.Table(
    "passkey_challenges",
    metadata,
    _tenant(),
    sa.Column("challenge_hash", sa.String(64), primary_key=True),
    sa.Column("ceremony", sa.String(16), nullable=False),  # "register" or "authenticate"
    sa.Column("browser_hash", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(36), nullable=True),
    sa.Column("interaction_hash", sa.String(64), nullable=True),
    sa.Column("user_handle", sa.String(128), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    # Set by the one conditional UPDATE that spends the challenge.
    sa.Column("used_at", Time, nullable=True),
)

# 0010: brute-force protection (accounts/throttle.py, docs/lockout.md). One row per counter:
# (factor, subject, source), "" standing for every subject or every source. Failures are
# counted by one upsert per counter (storage/sql/attempts.py); ``expires_at`` is when the
# counter stops mattering (the purge deletes it then).
failed_attempts = sa.Table(
    "failed_attempts",
    metadata,
    _tenant(),
    sa.Column("factor", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(400), nullable=False),  # login:…, user:…, client:… or ""
    sa.Column("source", sa.String(128), nullable=False),  # ip:…, device:… or ""
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failed_at", Time, nullable=False),
    sa.Column("locked_until", Time, nullable=True),
    sa.Column("expires_at", Time, nullable=False),
    # Subject first: an account's counters (unlock, the token endpoint's check) by one prefix.
    sa.PrimaryKeyConstraint("tenant_id", "subject", "factor", "source"),
    sa.Index("ix_failed_attempts_expires_at", "expires_at"),
)

# Browsers a person has signed in from before: the SHA-256 of their device cookie, per user.
# A known browser still gets in while its account is locked for everyone else.
known_browsers = sa.Table(
    "known_browsers",
    metadata,
    _tenant(),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("device_hash", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_seen_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "user_id", "device_hash"),
    sa.Index("ix_known_browsers_expires_at", "expires_at"),
)


# -- 0011: self-service accounts: emailed single-use links (EmailToken) -------------------

email_tokens = sa.Table(
    "email_tokens",
    metadata,
    _tenant(),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),  # verify_email, reset_password
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "token_hash"),
    sa.Index("ix_email_tokens_user", "tenant_id", "user_id", "purpose"),
)

# The outgoing mail queue (OutgoingMail): delivered by a background worker with retries.
outgoing_mail = sa.Table(
    "outgoing_mail",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("content_encrypted", sa.LargeBinary, nullable=True),  # NULL once sent, given up
    sa.Column("created_at", Time, nullable=False),
    sa.Column("next_attempt_at", Time, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # The worker that claimed the message owns it until then (several servers, one queue;
    # storage/sql/leased_queue.py).
    sa.Column("lease_id", sa.String(36), nullable=True),
    sa.Column("lease_until", Time, nullable=True),
    sa.Column("sent_at", Time, nullable=True),
    sa.Column("failed_at", Time, nullable=True),
    sa.Column("last_error", sa.String(255), nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.Index("ix_outgoing_mail_due", "tenant_id", "next_attempt_at"),
)

# Each submission of a form that may send email, for its per-address limits.
email_requests = sa.Table(
    "email_requests",
    metadata,
    _tenant(),
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("email_normalized", sa.String(320), nullable=False),
    sa.Column("requested_at", Time, nullable=False),
    sa.Index("ix_email_requests_ip", "tenant_id", "ip", "requested_at"),
    sa.Index("ix_email_requests_email", "tenant_id", "email_normalized", "requested_at"),
)
