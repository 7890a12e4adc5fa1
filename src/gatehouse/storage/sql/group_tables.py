"""The tables of groups, their members and the app roles assigned to people and groups
(storage/groups.py). Part of the schema in tables.py, which re-exports them; the conventions
there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0020: groups and app roles for people -----------------------------------------------------

groups = sa.Table(
    "groups",
    metadata,
    _tenant(),
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("name_normalized", sa.String(255), nullable=False),
    sa.Column("description", sa.String(1024), nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "name_normalized"),
)

group_members = sa.Table(
    "group_members",
    metadata,
    _tenant(),
    sa.Column("group_id", sa.String(36), nullable=False),
    sa.Column("member_kind", sa.String(8), nullable=False),  # "user" or "group"
    sa.Column("member_id", sa.String(36), nullable=False),
    sa.Column("added_at", Time, nullable=False),
    sa.PrimaryKeyConstraint("tenant_id", "group_id", "member_kind", "member_id"),
    sa.ForeignKeyConstraint(
        ["tenant_id", "group_id"], ["groups.tenant_id", "groups.id"], ondelete="CASCADE"
    ),
    # Token issuance walks up from a person to the groups that contain them.
    sa.Index("ix_group_members_member", "tenant_id", "member_kind", "member_id"),
)

app_role_assignments = sa.Table(
    "app_role_assignments",
    metadata,
    _tenant(),
    sa.Column("api_identifier", sa.String(512), nullable=False),
    sa.Column("role", sa.String(255), nullable=False),
    sa.Column("principal_kind", sa.String(8), nullable=False),  # "user" or "group"
    sa.Column("principal_id", sa.String(36), nullable=False),
    sa.Column("assigned_at", Time, nullable=False),
    sa.PrimaryKeyConstraint(
        "tenant_id", "api_identifier", "principal_kind", "principal_id", "role"
    ),
    sa.Index("ix_app_role_assignments_principal", "tenant_id", "principal_kind", "principal_id"),
)
