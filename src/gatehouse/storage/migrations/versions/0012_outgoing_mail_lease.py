"""outgoing mail claimed under a lease, like back-channel logouts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One queue mechanism (storage/sql/leased_queue.py): a claim sets a lease id, and the
    # outcome is written only under it, so a worker that hung past its claim cannot mark a
    # message another worker has since sent (or is sending) a second time.
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.alter_column("claimed_until", new_column_name="lease_until")
        batch_op.add_column(sa.Column("lease_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_column("lease_id")
        batch_op.alter_column("lease_until", new_column_name="claimed_until")
