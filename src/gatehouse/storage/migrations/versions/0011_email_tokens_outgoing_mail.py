"""self-service accounts: emailed single-use links, the outgoing mail queue, email requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", sa.String(length=64), nullable=False)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants")
    )


def upgrade() -> None:
    op.create_table(
        "email_tokens",
        _tenant(),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        _tenant_fk("email_tokens"),
        sa.PrimaryKeyConstraint("tenant_id", "token_hash", name=op.f("pk_email_tokens")),
    )
    op.create_index("ix_email_tokens_user", "email_tokens", ["tenant_id", "user_id", "purpose"])
    op.create_table(
        "outgoing_mail",
        _tenant(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("content_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("failed_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        _tenant_fk("outgoing_mail"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index("ix_outgoing_mail_due", "outgoing_mail", ["tenant_id", "next_attempt_at"])
    op.create_table(
        "email_requests",
        _tenant(),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=False),
        _tenant_fk("email_requests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_requests")),
    )
    op.create_index("ix_email_requests_ip", "email_requests", ["tenant_id", "ip", "requested_at"])
    op.create_index(
        "ix_email_requests_email",
        "email_requests",
        ["tenant_id", "email_normalized", "requested_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_email_requests_email", table_name="email_requests")
    op.drop_index("ix_email_requests_ip", table_name="email_requests")
    op.drop_table("email_requests")
    op.drop_index("ix_outgoing_mail_due", table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
    op.drop_index("ix_email_tokens_user", table_name="email_tokens")
    op.drop_table("email_tokens")
