"""The tables of trusted external issuers (storage/trusted_issuers.py). Part of the schema in
tables.py, which re-exports them; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0013: trusted external issuers ------------------------------------------------------------

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
