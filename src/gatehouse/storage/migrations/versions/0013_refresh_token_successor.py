"""a rotated refresh token names its successor, so a retried refresh can be answered

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A client whose refresh response was lost presents the same token again. Knowing the
    # successor it never received lets the server replace that one instead of taking the
    # retry for theft (GATEHOUSE_REFRESH_TOKEN_RETRY_WINDOW).
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("successor_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_column("successor_hash")
