"""trusted external issuers and their JWT bearer client rules

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
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
        "trusted_issuers",
        _tenant(),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("subject_claim", sa.String(length=255), nullable=False),
        sa.Column("jwks_uri", sa.String(length=2048), nullable=True),
        sa.Column("discovery_url", sa.String(length=2048), nullable=True),
        sa.Column("audience", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        _tenant_fk("trusted_issuers"),
        sa.PrimaryKeyConstraint("tenant_id", "issuer", name=op.f("pk_trusted_issuers")),
    )
    op.create_table(
        "trusted_issuer_clients",
        _tenant(),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        _tenant_fk("trusted_issuer_clients"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "issuer", "client_id", name=op.f("pk_trusted_issuer_clients")
        ),
    )


def downgrade() -> None:
    op.drop_table("trusted_issuer_clients")
    op.drop_table("trusted_issuers")
