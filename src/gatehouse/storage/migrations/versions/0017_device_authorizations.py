"""device authorization requests (RFC 8628)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_authorizations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("device_code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("resources", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("poll_interval", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_polled_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_at", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("grant_id", sa.String(length=36), nullable=True),
        sa.Column("auth_time", sa.BigInteger(), nullable=True),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("acr", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_device_authorizations_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("device_code_hash", name=op.f("pk_device_authorizations")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_code_hash",
            name=op.f("uq_device_authorizations_tenant_id_user_code_hash"),
        ),
    )
    op.create_index(
        "ix_device_authorizations_expires_at",
        "device_authorizations",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_device_authorizations_expires_at", table_name="device_authorizations")
    op.drop_table("device_authorizations")
