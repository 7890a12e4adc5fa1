"""a revision of each tenant's registry (clients, secrets, APIs, app roles, policy)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# Every write to a tenant's registry raises it in the same transaction; each server process
# reads every tenant's number in one statement at most every 5 seconds and drops the cached
# registry of a tenant whose number moved (storage/sql/cache.py). Plain ALTER TABLE, as in
# 0024: a batch operation would copy the table every other row refers to.


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("registry_revision", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("tenants", "registry_revision")
