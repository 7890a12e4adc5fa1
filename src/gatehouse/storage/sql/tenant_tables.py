"""The tenants table: one row per tenant, whose ``id`` is every other row's ``tenant_id``."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    # Kept for the schema's sake: every table has tenant_id, tenants is its own tenant.
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("issuer", sa.String(2048), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    # 0005: the tenant's policy (policy.py): only the fields that differ from the defaults.
    sa.Column("policy", sa.JSON, nullable=True),
    # 0024: the tenant's profile (tenancy.py TenantProfile: lifetimes, branding), only the
    # fields it sets; and a number every change of the profile raises, by which each server
    # process sees that the tenant's runtime must be rebuilt.
    sa.Column("profile", sa.JSON, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    # 0027: a number every write to the tenant's registry raises in its own transaction
    # (clients, secrets, APIs, app-role and exchange grants, policy), by which each server
    # process sees that what it cached of them is stale (storage/sql/cache.py).
    sa.Column("registry_revision", sa.Integer, nullable=False, server_default="0"),
)
