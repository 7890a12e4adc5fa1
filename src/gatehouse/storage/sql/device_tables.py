"""The table of the device authorization grant (RFC 8628). Part of the schema in tables.py,
which re-exports it; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0017: device authorization requests --------------------------------------------------------

device_authorizations = sa.Table(
    "device_authorizations",
    metadata,
    _tenant(),
    sa.Column("device_code_hash", sa.String(64), primary_key=True),
    # A user code names one request: the person types it (RFC 8628 §6.1).
    sa.Column("user_code_hash", sa.String(64), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("resources", sa.JSON, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("poll_interval", sa.Integer, nullable=False),  # seconds; grows with slow_down
    sa.Column("status", sa.String(16), nullable=False),  # pending, approved, denied
    sa.Column("last_polled_at", Time, nullable=True),
    sa.Column("decided_at", Time, nullable=True),
    sa.Column("redeemed_at", Time, nullable=True),
    sa.Column("user_id", sa.String(36), nullable=True),
    sa.Column("grant_id", sa.String(36), nullable=True),
    sa.Column("auth_time", Time, nullable=True),
    sa.Column("amr", sa.JSON, nullable=False),
    sa.Column("acr", sa.String(255), nullable=True),
    sa.UniqueConstraint("tenant_id", "user_code_hash"),
    sa.Index("ix_device_authorizations_expires_at", "expires_at"),
)
