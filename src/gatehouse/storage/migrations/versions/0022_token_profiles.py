"""The token profile of APIs and clients: "entra" adds the claims of Microsoft identity
platform v2.0 tokens (docs/microsoft-compatibility.md)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apis", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "token_profile", sa.String(length=16), server_default="rfc9068", nullable=False
            )
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("token_profile", sa.String(length=16), server_default="oidc", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("token_profile")
    with op.batch_alter_table("apis", schema=None) as batch_op:
        batch_op.drop_column("token_profile")
