"""multi-tenant applications: a client's multi_tenant switch, and the home tenant an admin
consent names when it is a multi-tenant application's presence in another tenant

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "clients",
        sa.Column("multi_tenant", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("admin_consents", sa.Column("home_tenant", sa.String(64), nullable=True))
    op.create_index("ix_clients_multi_tenant_id", "clients", ["client_id", "multi_tenant"])


def downgrade() -> None:
    op.drop_index("ix_clients_multi_tenant_id", table_name="clients")
    op.drop_column("admin_consents", "home_tenant")
    op.drop_column("clients", "multi_tenant")
