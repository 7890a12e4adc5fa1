"""an index of each tenant's signing keys

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The keys are read by tenant (every process reloads a tenant's keys twice a minute, and a
# JWKS request reads them): without this index each read scanned every tenant's keys.


def upgrade() -> None:
    op.create_index("ix_signing_keys_tenant", "signing_keys", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_signing_keys_tenant", table_name="signing_keys")
