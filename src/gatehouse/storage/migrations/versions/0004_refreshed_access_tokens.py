"""access tokens issued by refreshing without rotation, recorded against their grant

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "refreshed_access_tokens",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_refreshed_access_tokens_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refreshed_access_tokens")),
    )
    with op.batch_alter_table("refreshed_access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_refreshed_access_tokens_grant", ["tenant_id", "grant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refreshed_access_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_refreshed_access_tokens_grant")
    op.drop_table("refreshed_access_tokens")
