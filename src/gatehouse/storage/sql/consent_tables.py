"""The table of admin consents (storage/admin_consents.py): a client's delegated scopes
consented to by an administrator for the whole tenant. Part of the schema in tables.py,
which re-exports it; the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0021: admin consent, one row per client ---------------------------------------------------

admin_consents = sa.Table(
    "admin_consents",
    metadata,
    _tenant(),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),  # canonical scope names
    sa.Column("granted_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    # 0025: the home tenant of a multi-tenant client of another tenant: the row is then the
    # application's presence here (docs/multi-tenant-apps.md); NULL for this tenant's own.
    sa.Column("home_tenant", sa.String(64), nullable=True),
    sa.PrimaryKeyConstraint("tenant_id", "client_id"),
)
