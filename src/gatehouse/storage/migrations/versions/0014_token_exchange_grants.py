"""token exchange grants: which client may exchange user tokens for which API (RFC 8693)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_exchange_grants",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("api_identifier", sa.String(length=512), nullable=False),
        sa.Column("impersonation", sa.Boolean(), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_token_exchange_grants_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "client_id", "api_identifier", name=op.f("pk_token_exchange_grants")
        ),
    )


def downgrade() -> None:
    op.drop_table("token_exchange_grants")
