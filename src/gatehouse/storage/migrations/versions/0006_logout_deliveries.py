"""logout that reaches every application: clients' logout URIs, the clients of each SSO
session, and the queue of back-channel logouts

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backchannel_logout_uri", sa.String(2048), nullable=True))
        batch_op.add_column(
            sa.Column(
                "backchannel_logout_session_required",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("frontchannel_logout_uri", sa.String(2048), nullable=True))
        batch_op.add_column(
            sa.Column(
                "frontchannel_logout_session_required",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
    op.create_table(
        "session_clients",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_session_clients_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "sid", "client_id", name=op.f("pk_session_clients")),
    )
    op.create_table(
        "backchannel_logouts",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_id", sa.String(length=36), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", sa.BigInteger(), nullable=True),
        sa.Column("abandoned_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_backchannel_logouts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backchannel_logouts")),
    )
    with op.batch_alter_table("backchannel_logouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_backchannel_logouts_due", ["tenant_id", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("backchannel_logouts", schema=None) as batch_op:
        batch_op.drop_index("ix_backchannel_logouts_due")
    op.drop_table("backchannel_logouts")
    op.drop_table("session_clients")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("frontchannel_logout_session_required")
        batch_op.drop_column("frontchannel_logout_uri")
        batch_op.drop_column("backchannel_logout_session_required")
        batch_op.drop_column("backchannel_logout_uri")
