"""Revocation: revoked grants (token families) and the access-token deny-list
(``RevocationRepository``), and the rules other aggregates use to revoke and to check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.database import insert_ignoring_duplicates
from gatehouse.storage.sql.lean import LeanStatement

# Where the access tokens issued from a grant are recorded: with its code, with each of its
# refresh tokens, and for refreshes without rotation and the authorization endpoint's own
# (refreshed_access_tokens, named for the first of the two).
_ISSUED_ACCESS_TOKENS = (
    (
        t.refresh_tokens,
        t.refresh_tokens.c.access_token_jti,
        t.refresh_tokens.c.access_token_expires_at,
    ),
    (
        t.authorization_codes,
        t.authorization_codes.c.access_token_jti,
        t.authorization_codes.c.access_token_expires_at,
    ),
    (
        t.refreshed_access_tokens,
        t.refreshed_access_tokens.c.jti,
        t.refreshed_access_tokens.c.expires_at,
    ),
)


_LEAN_DENIED = LeanStatement(
    sa.select(t.revoked_access_tokens.c.jti).where(
        t.revoked_access_tokens.c.tenant_id == sa.bindparam("p_tenant"),
        t.revoked_access_tokens.c.jti == sa.bindparam("p_jti"),
    )
)


def grant_revoked(table: sa.Table) -> sa.Label[bool]:
    """Whether the grant (token family) of ``table``'s row is on the revoked list."""
    return (
        sa.exists()
        .where(
            t.revoked_grants.c.tenant_id == table.c.tenant_id,
            t.revoked_grants.c.grant_id == table.c.grant_id,
        )
        .label("grant_revoked")
    )


def revoke_grants_of(
    conn: sa.Connection, tenant_id: str, reason: str, now: int, **owner: str
) -> None:
    """Put on the revoked list every grant (token family) of ``owner`` (a user, or a user
    and a client) that still has a live refresh token or a code not yet redeemed."""
    revoke_grants_where(
        conn,
        tenant_id,
        reason,
        now,
        lambda table: sa.and_(*(table.c[column] == value for column, value in owner.items())),
    )


# Rows whose grant is still worth revoking: a live refresh token, a code not yet redeemed.
LIVE_REFRESH_TOKENS = (t.refresh_tokens, t.refresh_tokens.c.revoked_at.is_(None))
UNREDEEMED_CODES = (t.authorization_codes, t.authorization_codes.c.used_at.is_(None))


def revoke_grants_where(
    conn: sa.Connection,
    tenant_id: str,
    reason: str,
    now: int,
    chosen: Callable[[sa.Table], sa.ColumnElement[bool]],
    live: tuple[tuple[sa.Table, sa.ColumnElement[bool]], ...] = (
        LIVE_REFRESH_TOKENS,
        UNREDEEMED_CODES,
    ),
) -> None:
    """Put on the revoked list every grant (token family) that still has a live refresh
    token or a code not yet redeemed (``live``) among the rows ``chosen`` picks.

    Revoking the rows alone leaves two gaps: a code already issued but not yet redeemed
    (it would still yield tokens, an offline refresh token among them), and on PostgreSQL
    a rotation committing while the revoking UPDATE runs, whose successor that UPDATE
    cannot see. The code grant and the refresh grant both refuse a grant on this list,
    and a successor belongs to the same grant as the token it replaced."""
    for table, alive in live:
        families = (
            sa.select(table.c.tenant_id, table.c.grant_id, sa.literal(reason), sa.literal(now))
            .where(table.c.tenant_id == tenant_id, alive, chosen(table))
            .distinct()
        )
        insert_ignoring_duplicates(
            conn,
            t.revoked_grants,
            select=families,
            columns=("tenant_id", "grant_id", "reason", "revoked_at"),
        )


def grants_of(tenant_id: str, **owner: str) -> sa.CompoundSelect[Any]:
    """The ids of every grant (token family) of ``owner`` (a user, or a user and a client)
    that has a refresh token or a code, live or not."""
    return sa.union(
        *(
            sa.select(table.c.grant_id).where(
                table.c.tenant_id == tenant_id,
                *(table.c[column] == value for column, value in owner.items()),
            )
            for table in (t.refresh_tokens, t.authorization_codes)
        )
    )


def deny_issued_access_tokens(
    conn: sa.Connection,
    tenant_id: str,
    grant_ids: Sequence[str] | sa.CompoundSelect[Any],
    now: int,
) -> None:
    """Put on the deny-list every unexpired access token issued from the grants
    ``grant_ids``: with their codes, with their refresh tokens, and by their refreshes
    without rotation (``_ISSUED_ACCESS_TOKENS``)."""
    for table, jti, expires_at in _ISSUED_ACCESS_TOKENS:
        issued = (
            sa.select(sa.literal(tenant_id), jti, expires_at)
            .where(
                table.c.tenant_id == tenant_id,
                table.c.grant_id.in_(grant_ids),
                jti.is_not(None),
                expires_at > now,
            )
            .distinct()
        )
        insert_ignoring_duplicates(
            conn, t.revoked_access_tokens, select=issued, columns=("tenant_id", "jti", "expires_at")
        )


class SqlRevocationRepository(SqlRepository):
    @retried
    def revoke_grant(self, grant_id: str, reason: str, now: int) -> None:
        rt = t.refresh_tokens
        with self.db.write() as conn:
            insert_ignoring_duplicates(
                conn,
                t.revoked_grants,
                tenant_id=self.tenant_id,
                grant_id=grant_id,
                reason=reason,
                revoked_at=now,
            )
            conn.execute(
                rt.update()
                .where(
                    rt.c.tenant_id == self.tenant_id,
                    rt.c.grant_id == grant_id,
                    rt.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            # The access tokens issued with the family's refresh tokens, with its code and by
            # its refreshes without rotation go on the deny-list, so UserInfo, introspection
            # and introspecting APIs refuse them too.
            deny_issued_access_tokens(conn, self.tenant_id, [grant_id], now)

    @retried
    def deny_access_token(self, jti: str, expires_at: int) -> None:
        with self.db.write() as conn:
            insert_ignoring_duplicates(
                conn,
                t.revoked_access_tokens,
                tenant_id=self.tenant_id,
                jti=jti,
                expires_at=expires_at,
            )

    @retried
    def record_issued_access_token(self, grant_id: str, jti: str, expires_at: int) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.refreshed_access_tokens.insert().values(
                    tenant_id=self.tenant_id, jti=jti, grant_id=grant_id, expires_at=expires_at
                )
            )

    def is_access_token_denied(self, jti: str) -> bool:
        # Every UserInfo call, introspection and token exchange asks: a lean statement.
        row = self.db.fetch_one(_LEAN_DENIED, {"p_tenant": self.tenant_id, "p_jti": jti})
        return row is not None
