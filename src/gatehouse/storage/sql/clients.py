"""Clients and their secrets (``ClientRepository``), and the one-time client assertions
(``ClientAssertionRepository``).

Client authentication reads a client and its secrets on every token request: one lean
statement each, and a per-process registry cache (storage/sql/cache.py) shared with the API
repository; a write through either drops all of it.
"""

from __future__ import annotations

import builtins
from typing import cast

import sqlalchemy as sa

from gatehouse.storage.records import Client, ClientSecret
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.cache import RegistryCache
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database, insert_ignoring_duplicates
from gatehouse.storage.sql.lean import LeanStatement

CLIENT = RecordColumns(Client, t.clients)
SECRET = RecordColumns(ClientSecret, t.client_secrets)

# Hot-path statements, built once: constructing a Core statement costs more than running it.
_CLIENT_BY_ID = sa.select(t.clients).where(
    t.clients.c.tenant_id == sa.bindparam("p_tenant"),
    t.clients.c.client_id == sa.bindparam("p_client_id"),
)
_SECRETS_OF_CLIENT = sa.select(t.client_secrets).where(
    t.client_secrets.c.tenant_id == sa.bindparam("p_tenant"),
    t.client_secrets.c.client_id == sa.bindparam("p_client_id"),
)
_LEAN_CLIENT_BY_ID = LeanStatement(_CLIENT_BY_ID)
_LEAN_SECRETS_OF_CLIENT = LeanStatement(_SECRETS_OF_CLIENT)
# What a client was given, deleted with it: a client later registered under the same id
# must inherit none of it (app-role grants included).
OWNED_BY_CLIENT = (
    t.client_secrets,
    t.consents,
    # Likewise its admin consent: a new client under the same id is not consented to.
    t.admin_consents,
    t.refresh_tokens,
    t.authorization_codes,
    t.interactions,
    t.client_app_roles,
    t.token_exchange_grants,
    # A deleted client's JWT bearer rules go with it: a client created later under the same
    # id must not inherit the workloads allowed to act as the old one.
    t.trusted_issuer_clients,
    t.session_clients,
    t.backchannel_logouts,
)


class SqlClientRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, registry: RegistryCache) -> None:
        super().__init__(database, tenant_id)
        # ("client", client_id) -> (client, secrets) for clients that exist.
        self._registry = registry

    def get(self, client_id: str) -> Client | None:
        row = self.db.fetch_one(
            _LEAN_CLIENT_BY_ID, {"p_tenant": self.tenant_id, "p_client_id": client_id}
        )
        return CLIENT.record(row) if row else None

    def get_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        cached = self._registry.get(("client", client_id))
        if cached is not None:
            return cast(tuple[Client, tuple[ClientSecret, ...]], cached)
        return self._read_for_authentication(client_id)

    @retried
    def _read_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        generation = self._registry.generation()
        params = {"p_tenant": self.tenant_id, "p_client_id": client_id}
        with self.db.read() as conn:  # one snapshot: the client and the secrets agree
            row = conn.execute(_CLIENT_BY_ID, params).mappings().first()
            if row is None:
                return None  # not cached: a client registered a moment later works at once
            rows = conn.execute(_SECRETS_OF_CLIENT, params).mappings()
            secrets = tuple(SECRET.record(r) for r in rows)
        found = (CLIENT.record(row), secrets)
        self._registry.put(("client", client_id), found, generation)
        return found

    @retried
    def list(self) -> list[Client]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.clients)
                .where(t.clients.c.tenant_id == self.tenant_id)
                .order_by(t.clients.c.client_id)
            ).mappings()
            return [CLIENT.record(r) for r in rows]

    def secrets(self, client_id: str) -> builtins.list[ClientSecret]:
        rows = self.db.fetch_all(
            _LEAN_SECRETS_OF_CLIENT, {"p_tenant": self.tenant_id, "p_client_id": client_id}
        )
        return [SECRET.record(r) for r in rows]

    @retried
    def encrypted_secrets(self, client_id: str, now: int) -> builtins.list[tuple[str, bytes]]:
        cs = t.client_secrets
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(cs.c.id, cs.c.secret_encrypted).where(
                    cs.c.tenant_id == self.tenant_id,
                    cs.c.client_id == client_id,
                    cs.c.secret_encrypted.is_not(None),
                    cs.c.revoked_at.is_(None),
                    sa.or_(cs.c.expires_at.is_(None), cs.c.expires_at > now),
                )
            ).all()
        return [(r.id, bytes(r.secret_encrypted)) for r in rows]

    @retried
    def insert(
        self, client: Client, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        with self._registry.write() as conn:
            conn.execute(t.clients.insert().values(CLIENT.values(client, tenant_id=self.tenant_id)))
            if secret is not None:
                self._insert_secret(conn, secret, encrypted)

    @retried
    def update(self, client: Client) -> None:
        values = CLIENT.values(client)
        del values["client_id"], values["created_at"]
        with self._registry.write() as conn:
            conn.execute(
                t.clients.update()
                .where(
                    t.clients.c.tenant_id == self.tenant_id,
                    t.clients.c.client_id == client.client_id,
                )
                .values(values)
            )

    @retried
    def register_builtin(self, client: Client) -> None:
        values = CLIENT.values(client, tenant_id=self.tenant_id)
        changed = {
            k: v for k, v in values.items() if k not in ("tenant_id", "client_id", "created_at")
        }
        with self._registry.write() as conn:
            # Insert if absent (a concurrent start-up may insert first), then bring it up to date.
            insert_ignoring_duplicates(conn, t.clients, **values)
            conn.execute(
                t.clients.update()
                .where(
                    t.clients.c.tenant_id == self.tenant_id,
                    t.clients.c.client_id == client.client_id,
                )
                .values(changed)
            )

    @retried
    def replace_secrets(
        self, client_id: str, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        cs = t.client_secrets
        with self._registry.write() as conn:
            conn.execute(
                cs.delete().where(cs.c.tenant_id == self.tenant_id, cs.c.client_id == client_id)
            )
            if secret is not None:
                self._insert_secret(conn, secret, encrypted)

    def _insert_secret(
        self, conn: sa.Connection, secret: ClientSecret, encrypted: bytes | None
    ) -> None:
        values = SECRET.values(secret, tenant_id=self.tenant_id, secret_encrypted=encrypted)
        conn.execute(t.client_secrets.insert().values(values))

    @retried
    def add_secret(self, secret: ClientSecret, encrypted: bytes | None = None) -> None:
        with self._registry.write() as conn:
            self._insert_secret(conn, secret, encrypted)

    @retried
    def revoke_secret(self, client_id: str, secret_id: str, now: int) -> bool:
        cs = t.client_secrets
        with self._registry.write() as conn:
            result = conn.execute(
                cs.update()
                .where(
                    cs.c.tenant_id == self.tenant_id,
                    cs.c.client_id == client_id,
                    cs.c.id == secret_id,
                    cs.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
        return result.rowcount == 1

    @retried
    def delete(self, client_id: str) -> bool:
        with self._registry.write() as conn:
            for table in OWNED_BY_CLIENT:
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == self.tenant_id, table.c.client_id == client_id
                    )
                )
            # An API that authenticated as this client no longer does: a client created
            # later under the same id must not inherit the right to introspect its tokens.
            conn.execute(
                t.apis.update()
                .where(t.apis.c.tenant_id == self.tenant_id, t.apis.c.client_id == client_id)
                .values(client_id=None)
            )
            result = conn.execute(
                t.clients.delete().where(
                    t.clients.c.tenant_id == self.tenant_id, t.clients.c.client_id == client_id
                )
            )
        return result.rowcount == 1


class SqlClientAssertionRepository(SqlRepository):
    @retried
    def record_jti(self, client_id: str, jti: str, expires_at: int, now: int) -> bool:
        uca = t.used_client_assertions
        with self.db.write() as conn:
            conn.execute(
                uca.delete().where(uca.c.tenant_id == self.tenant_id, uca.c.expires_at < now)
            )
            exists = conn.execute(
                sa.select(uca.c.jti).where(
                    uca.c.tenant_id == self.tenant_id,
                    uca.c.client_id == client_id,
                    uca.c.jti == jti,
                )
            ).first()
            if exists is not None:
                return False
            try:
                with conn.begin_nested():
                    conn.execute(
                        uca.insert().values(
                            tenant_id=self.tenant_id,
                            client_id=client_id,
                            jti=jti,
                            expires_at=expires_at,
                        )
                    )
            except sa.exc.IntegrityError:
                return False  # a concurrent request recorded it first
            return True
