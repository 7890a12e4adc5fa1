"""groups and app roles for people: groups, their members (users and groups), app roles of
APIs assigned to users and groups, and a client's groups claim

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_normalized", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_groups_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_groups")),
        sa.UniqueConstraint(
            "tenant_id", "name_normalized", name=op.f("uq_groups_tenant_id_name_normalized")
        ),
    )
    op.create_table(
        "group_members",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("member_kind", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"],
            ["groups.tenant_id", "groups.id"],
            name=op.f("fk_group_members_tenant_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_group_members_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "group_id", "member_kind", "member_id", name=op.f("pk_group_members")
        ),
    )
    op.create_index(
        "ix_group_members_member",
        "group_members",
        ["tenant_id", "member_kind", "member_id"],
        unique=False,
    )
    op.create_table(
        "app_role_assignments",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("api_identifier", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=255), nullable=False),
        sa.Column("principal_kind", sa.String(length=8), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_app_role_assignments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "api_identifier",
            "principal_kind",
            "principal_id",
            "role",
            name=op.f("pk_app_role_assignments"),
        ),
    )
    op.create_index(
        "ix_app_role_assignments_principal",
        "app_role_assignments",
        ["tenant_id", "principal_kind", "principal_id"],
        unique=False,
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("groups_claim", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("groups_claim")
    op.drop_index("ix_app_role_assignments_principal", table_name="app_role_assignments")
    op.drop_table("app_role_assignments")
    op.drop_index("ix_group_members_member", table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("groups")
