"""the audit log, and each tenant's policy

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy", sa.JSON(), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("username", sa.String(length=320), nullable=True),
        sa.Column("client_id", sa.String(length=255), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_audit_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_time", ["tenant_id", "occurred_at"])
        batch_op.create_index("ix_audit_events_user", ["tenant_id", "user_id", "occurred_at"])
        batch_op.create_index("ix_audit_events_client", ["tenant_id", "client_id", "occurred_at"])
        batch_op.create_index("ix_audit_events_type", ["tenant_id", "type", "occurred_at"])


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_type")
        batch_op.drop_index("ix_audit_events_client")
        batch_op.drop_index("ix_audit_events_user")
        batch_op.drop_index("ix_audit_events_time")
    op.drop_table("audit_events")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("policy")
