"""pushed authorization requests (RFC 9126), request object and PAR client metadata, the
claims request parameter on codes and refresh tokens

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pushed_authorization_requests",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("request_uri_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_pushed_authorization_requests_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("request_uri_hash", name=op.f("pk_pushed_authorization_requests")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_pushed_authorization_requests",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("request_object_signing_alg", sa.String(length=16), nullable=True)
        )
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims_request", sa.JSON(), nullable=True))
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims_request", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_column("claims_request")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("claims_request")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("request_object_signing_alg")
        batch_op.drop_column("require_pushed_authorization_requests")
    op.drop_table("pushed_authorization_requests")
