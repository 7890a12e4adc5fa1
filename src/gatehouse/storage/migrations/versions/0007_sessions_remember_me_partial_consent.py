"""remember-me, per-session idle lifetime and device; declined scopes; partial consent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sso_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remember_me", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("idle_lifetime", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("device", sa.String(length=256), nullable=True))
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_scopes", sa.JSON(), nullable=True))
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted_scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interactions", schema=None) as batch_op:
        batch_op.drop_column("granted_scopes")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("declined_scopes")
    with op.batch_alter_table("sso_sessions", schema=None) as batch_op:
        batch_op.drop_column("device")
        batch_op.drop_column("idle_lifetime")
        batch_op.drop_column("remember_me")
