"""The tables logout needs: which clients took part in an SSO session, and the durable queue
of back-channel logouts. Part of the schema in tables.py, which re-exports them; the
conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# 0006: the clients that took part in an SSO session (were issued a code within it), so that
# ending the session can tell each of them. Purged once its session is gone.
session_clients = sa.Table(
    "session_clients",
    metadata,
    _tenant(),
    sa.Column("sid", sa.String(64), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "sid", "client_id"),
)

# 0006: the durable queue of back-channel logouts (OIDC Back-Channel Logout 1.0 §2.5). A row
# is queued in the transaction that ends its session; a delivery worker claims it under a
# lease (lease_id, lease_until), so one worker at a time sends it, and marks it delivered,
# reschedules it (next_attempt_at) or abandons it. The logout token itself is never stored:
# it is signed afresh for each attempt.
backchannel_logouts = sa.Table(
    "backchannel_logouts",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(36), nullable=False),
    sa.Column("sid", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Time, nullable=False),
    sa.Column("lease_id", sa.String(36), nullable=True),
    sa.Column("lease_until", Time, nullable=True),
    sa.Column("delivered_at", Time, nullable=True),
    sa.Column("abandoned_at", Time, nullable=True),
    sa.Column("last_error", sa.String(255), nullable=True),
    sa.Index("ix_backchannel_logouts_due", "tenant_id", "next_attempt_at"),
)
