"""the response types each client may use at the authorization endpoint

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("response_types", sa.JSON(), nullable=False, server_default="[]")
        )
    # Every client of the code flow could use response_type=code until now, and only that.
    op.execute(
        "UPDATE clients SET response_types = '[\"code\"]' "
        "WHERE CAST(grant_types AS TEXT) LIKE '%\"authorization_code\"%'"
    )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("response_types")
