"""The tables of federation to upstream identity providers (storage/federation.py). Part
of the schema in tables.py, which re-exports them; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0023: upstream OpenID Connect identity providers -----------------------------------------

upstream_providers = sa.Table(
    "upstream_providers",
    metadata,
    _tenant(),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("display_name", sa.String(255), nullable=False),
    sa.Column("discovery_url", sa.String(2048), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    # AES-256-GCM under the key-encryption key (keys/encryption.py): it is sent upstream.
    sa.Column("client_secret", sa.LargeBinary, nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("claim_mappings", sa.JSON, nullable=False),
    sa.Column("jit", sa.Boolean, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "alias"),
)

federated_identities = sa.Table(
    "federated_identities",
    metadata,
    _tenant(),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_signed_in_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "alias", "subject"),
    sa.Index("ix_federated_identities_user", "tenant_id", "user_id"),
)

# One-time rows: a sign-in sent upstream, a link waiting for proof, a sign-out sent upstream.
federation_states = sa.Table(
    "federation_states",
    metadata,
    _tenant(),
    sa.Column("state_hash", sa.String(64), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),  # encrypted (keys/encryption.py)
    sa.Column("browser_hash", sa.String(64), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "state_hash"),
)

federated_sessions = sa.Table(
    "federated_sessions",
    metadata,
    _tenant(),
    sa.Column("sid", sa.String(64), nullable=False),
    sa.Column("alias", sa.String(64), nullable=False),
    sa.Column("id_token", sa.LargeBinary, nullable=False),  # encrypted (keys/encryption.py)
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "sid"),
)
