"""The tables of APIs (protected resources, RFC 8707): their scopes and app roles, and the
app roles granted to clients. Part of the schema in tables.py, which re-exports them; the
conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0002: APIs and application permissions -----------

apis = sa.Table(
    "apis",
    metadata,
    _tenant(),
    sa.Column("identifier", sa.String(512), nullable=False),  # the RFC 8707 resource / `aud`
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("access_token_lifetime", sa.Integer, nullable=True),  # seconds; NULL = default
    sa.Column("signing_alg", sa.String(16), nullable=True),  # NULL = default
    # The client the API authenticates as when it calls introspection.
    sa.Column("client_id", sa.String(255), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("token_profile", sa.String(16), nullable=False, server_default="rfc9068"),  # 0022
    sa.PrimaryKeyConstraint("tenant_id", "identifier"),
)

api_permissions = sa.Table(
    "api_permissions",
    metadata,
    _tenant(),
    sa.Column("api_identifier", sa.String(512), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # "scope" (delegated) or "role" (application)
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.String(1024), nullable=False),
    # 0020: a delegated scope only an administrator can consent to (never true for a role).
    sa.Column("admin_consent_required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.PrimaryKeyConstraint("tenant_id", "api_identifier", "kind", "name"),
    sa.ForeignKeyConstraint(
        ["tenant_id", "api_identifier"], ["apis.tenant_id", "apis.identifier"], ondelete="CASCADE"
    ),
)

client_app_roles = sa.Table(
    "client_app_roles",
    metadata,
    _tenant(),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("api_identifier", sa.String(512), nullable=False),
    sa.Column("role", sa.String(255), nullable=False),
    sa.Column("granted_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "client_id", "api_identifier", "role"),
)
