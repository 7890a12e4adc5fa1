"""brute-force protection: failure counters and known browsers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_attempts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("factor", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.BigInteger(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_failed_attempts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "subject", "factor", "source", name=op.f("pk_failed_attempts")
        ),
    )
    with op.batch_alter_table("failed_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_failed_attempts_expires_at", ["expires_at"])
    op.create_table(
        "known_browsers",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_known_browsers_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_known_browsers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "device_hash", name=op.f("pk_known_browsers")
        ),
    )
    with op.batch_alter_table("known_browsers", schema=None) as batch_op:
        batch_op.create_index("ix_known_browsers_expires_at", ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("known_browsers", schema=None) as batch_op:
        batch_op.drop_index("ix_known_browsers_expires_at")
    op.drop_table("known_browsers")
    with op.batch_alter_table("failed_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_failed_attempts_expires_at")
    op.drop_table("failed_attempts")
