"""The tables of authorization requests made ahead of the browser's visit: pushed
authorization requests (RFC 9126). Part of the schema in tables.py, which re-exports them;
the conventions there hold here."""

from __future__ import annotations

import sqlalchemy as sa

from gatehouse.storage.sql.metadata import Time, metadata
from gatehouse.storage.sql.metadata import tenant_column as _tenant

# -- 0016: pushed authorization requests ------------------------------------------------------

# RFC 9126 §2.2: a request a client pushed to /par, used once through its request_uri. The
# request_uri is a bearer reference to the request, so only its SHA-256 is stored; used_at
# makes it one-time by one conditional UPDATE (RFC 9126 §4).
pushed_authorization_requests = sa.Table(
    "pushed_authorization_requests",
    metadata,
    _tenant(),
    sa.Column("request_uri_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(255), nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("used_at", Time, nullable=True),
)
