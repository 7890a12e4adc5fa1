"""admin consent: a client's delegated scopes consented to by an administrator for the whole
tenant, and the API scopes only an administrator can consent to

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_consents",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_admin_consents_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "client_id", name=op.f("pk_admin_consents")),
    )
    with op.batch_alter_table("api_permissions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "admin_consent_required", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("api_permissions", schema=None) as batch_op:
        batch_op.drop_column("admin_consent_required")
    op.drop_table("admin_consents")
