"""Upstream identity providers, federated identities, federation states and federated
sessions (storage/federation.py)."""

from __future__ import annotations

import builtins

import sqlalchemy as sa

from gatehouse.storage.federation import (
    FederatedIdentity,
    FederatedSession,
    FederationState,
    StatePurpose,
    UpstreamProvider,
)
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns

UPSTREAM = RecordColumns(UpstreamProvider, t.upstream_providers)
IDENTITY = RecordColumns(FederatedIdentity, t.federated_identities)
STATE = RecordColumns(FederationState, t.federation_states)
SESSION = RecordColumns(FederatedSession, t.federated_sessions)


class SqlUpstreamProviderRepository(SqlRepository):
    @retried
    def get(self, alias: str) -> UpstreamProvider | None:
        up = t.upstream_providers
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*UPSTREAM.columns()).where(
                        up.c.tenant_id == self.tenant_id, up.c.alias == alias
                    )
                )
                .mappings()
                .first()
            )
        return UPSTREAM.record(row) if row is not None else None

    @retried
    def list(self) -> builtins.list[UpstreamProvider]:
        up = t.upstream_providers
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*UPSTREAM.columns())
                .where(up.c.tenant_id == self.tenant_id)
                .order_by(up.c.alias)
            ).mappings()
            return [UPSTREAM.record(row) for row in rows]

    @retried
    def save(self, upstream: UpstreamProvider) -> None:
        up = t.upstream_providers
        where = (up.c.tenant_id == self.tenant_id, up.c.alias == upstream.alias)
        with self.db.write() as conn:
            if conn.execute(sa.select(up.c.alias).where(*where)).first() is None:
                conn.execute(
                    up.insert().values(UPSTREAM.values(upstream, tenant_id=self.tenant_id))
                )
            else:
                conn.execute(up.update().where(*where).values(UPSTREAM.values(upstream)))

    @retried
    def delete(self, alias: str) -> bool:
        up, fi = t.upstream_providers, t.federated_identities
        with self.db.write() as conn:
            conn.execute(fi.delete().where(fi.c.tenant_id == self.tenant_id, fi.c.alias == alias))
            result = conn.execute(
                up.delete().where(up.c.tenant_id == self.tenant_id, up.c.alias == alias)
            )
        return result.rowcount == 1


class SqlFederationRepository(SqlRepository):
    @retried
    def identity(self, alias: str, subject: str) -> FederatedIdentity | None:
        fi = t.federated_identities
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*IDENTITY.columns()).where(
                        fi.c.tenant_id == self.tenant_id,
                        fi.c.alias == alias,
                        fi.c.subject == subject,
                    )
                )
                .mappings()
                .first()
            )
        return IDENTITY.record(row) if row is not None else None

    @retried
    def identities_of(self, user_id: str) -> builtins.list[FederatedIdentity]:
        fi = t.federated_identities
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*IDENTITY.columns())
                .where(fi.c.tenant_id == self.tenant_id, fi.c.user_id == user_id)
                .order_by(fi.c.alias)
            ).mappings()
            return [IDENTITY.record(row) for row in rows]

    def link(self, identity: FederatedIdentity) -> bool:
        fi = t.federated_identities
        with self.db.write() as conn:
            try:
                # A savepoint: inside a sign-in's transaction the refusal must not end it.
                with conn.begin_nested():
                    conn.execute(
                        fi.insert().values(IDENTITY.values(identity, tenant_id=self.tenant_id))
                    )
            except sa.exc.IntegrityError:
                return False  # already linked, or linked by a concurrent request first
        return True

    @retried
    def touch(self, alias: str, subject: str, now: int) -> None:
        fi = t.federated_identities
        with self.db.write() as conn:
            conn.execute(
                fi.update()
                .where(
                    fi.c.tenant_id == self.tenant_id, fi.c.alias == alias, fi.c.subject == subject
                )
                .values(last_signed_in_at=now)
            )

    @retried
    def create_state(self, state: FederationState) -> None:
        fs = t.federation_states
        with self.db.write() as conn:
            conn.execute(
                fs.delete().where(
                    fs.c.tenant_id == self.tenant_id, fs.c.state_hash == state.state_hash
                )
            )
            conn.execute(fs.insert().values(STATE.values(state, tenant_id=self.tenant_id)))

    def consume_state(
        self, state_hash: str, purpose: StatePurpose, now: int
    ) -> FederationState | None:
        fs = t.federation_states
        where = (
            fs.c.tenant_id == self.tenant_id,
            fs.c.state_hash == state_hash,
            fs.c.purpose == purpose,
        )
        with self.db.write() as conn:
            spent = conn.execute(
                fs.update()
                .where(*where, fs.c.used_at.is_(None), fs.c.expires_at > now)
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            row = conn.execute(sa.select(*STATE.columns()).where(*where)).mappings().first()
        return STATE.record(row) if row is not None else None

    @retried
    def record_session(self, session: FederatedSession) -> None:
        fs = t.federated_sessions
        with self.db.write() as conn:
            conn.execute(
                fs.delete().where(fs.c.tenant_id == self.tenant_id, fs.c.sid == session.sid)
            )
            conn.execute(fs.insert().values(SESSION.values(session, tenant_id=self.tenant_id)))

    @retried
    def session(self, sid: str, now: int) -> FederatedSession | None:
        fs = t.federated_sessions
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(*SESSION.columns()).where(
                        fs.c.tenant_id == self.tenant_id, fs.c.sid == sid, fs.c.expires_at > now
                    )
                )
                .mappings()
                .first()
            )
        return SESSION.record(row) if row is not None else None

    @retried
    def forget_session(self, sid: str) -> None:
        fs = t.federated_sessions
        with self.db.write() as conn:
            conn.execute(fs.delete().where(fs.c.tenant_id == self.tenant_id, fs.c.sid == sid))
