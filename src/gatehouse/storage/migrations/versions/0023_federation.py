"""federation to upstream OpenID Connect identity providers: the upstreams, the federated
identities, the one-time federation states and the federated sessions

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
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
        "upstream_providers",
        _tenant(),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("discovery_url", sa.String(length=2048), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("claim_mappings", sa.JSON(), nullable=False),
        sa.Column("jit", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        _tenant_fk("upstream_providers"),
        sa.PrimaryKeyConstraint("tenant_id", "alias", name=op.f("pk_upstream_providers")),
    )
    op.create_table(
        "federated_identities",
        _tenant(),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_signed_in_at", sa.BigInteger(), nullable=False),
        _tenant_fk("federated_identities"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_federated_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "alias", "subject", name=op.f("pk_federated_identities")
        ),
    )
    op.create_index(
        "ix_federated_identities_user", "federated_identities", ["tenant_id", "user_id"]
    )
    op.create_table(
        "federation_states",
        _tenant(),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        _tenant_fk("federation_states"),
        sa.PrimaryKeyConstraint("tenant_id", "state_hash", name=op.f("pk_federation_states")),
    )
    op.create_table(
        "federated_sessions",
        _tenant(),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("id_token", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        _tenant_fk("federated_sessions"),
        sa.PrimaryKeyConstraint("tenant_id", "sid", name=op.f("pk_federated_sessions")),
    )


def downgrade() -> None:
    op.drop_table("federated_sessions")
    op.drop_table("federation_states")
    op.drop_index("ix_federated_identities_user", table_name="federated_identities")
    op.drop_table("federated_identities")
    op.drop_table("upstream_providers")
