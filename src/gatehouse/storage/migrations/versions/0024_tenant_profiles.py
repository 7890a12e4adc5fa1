"""each tenant's profile (lifetimes, branding) and the revision its runtime is rebuilt by

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns): a batch operation would
# copy and drop the tenants table, which every other table's rows refer to.


def upgrade() -> None:
    op.add_column("tenants", sa.Column("profile", sa.JSON(), nullable=True))
    op.add_column(
        "tenants", sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("tenants", "revision")
    op.drop_column("tenants", "profile")
