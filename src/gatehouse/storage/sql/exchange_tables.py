"""The tables of token exchange grants and trusted external issuers
(storage/trusted_issuers.py): who may turn which tokens into gatehouse tokens. Part of the
schema in tables.py, which re-exports them; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0014: which client may exchange user tokens for tokens for which API (RFC 8693) --------

token_exchange_grants = sa.Table(
    "token_exchange_grants",
    metadata,
    _tenant(),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("api_identifier", sa.String(512), nullable=False),
    sa.Column("impersonation", sa.Boolean, nullable=False),
    sa.Column("granted_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "client_id", "api_identifier"),
)

# -- 0015: trusted external issuers ------------------------------------------------------------

trusted_issuers = sa.Table(
    "trusted_issuers",
    metadata,
    _tenant(),
    sa.Column("issuer", sa.String(512), nullable=False),
    sa.Column("subject_claim", sa.String(255), nullable=False),
    # Exactly one of the two: the issuer's JWK Set, or its discovery document naming it.
    sa.Column("jwks_uri", sa.String(2048), nullable=True),
    sa.Column("discovery_url", sa.String(2048), nullable=True),
    sa.Column("audience", sa.String(512), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "issuer"),
)

trusted_issuer_clients = sa.Table(
    "trusted_issuer_clients",
    metadata,
    _tenant(),
    sa.Column("issuer", sa.String(512), nullable=False),
    sa.Column("client_id", sa.String(255), nullable=False),
    # JSON array of the exact subject values allowed to act as the client.
    sa.Column("subjects", sa.JSON, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "issuer", "client_id"),
)
