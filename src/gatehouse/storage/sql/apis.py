"""APIs with their delegated scopes and application roles, app-role and token-exchange grants
(``ApiRepository``), and custom scopes (``ScopeRepository``).

The catalogue (``list``) is read by every token request that names an API, the app-role
grants by every client_credentials request and the exchange grants by every token exchange,
so each process keeps them in the registry cache it shares with the client repository
(storage/sql/cache.py) until another process's write moves the tenant's registry revision.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import cast

import sqlalchemy as sa

from gatehouse.storage.records import Api, ApiPermission, ExchangeGrant, RoleGrant, Scope
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.cache import RegistryCache
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import Database, insert_ignoring_duplicates
from gatehouse.storage.sql.lean import LeanStatement

API = RecordColumns(Api, t.apis, stored_elsewhere=("scopes", "roles"))
PERMISSION = RecordColumns(ApiPermission, t.api_permissions)
ROLE_GRANT = RecordColumns(RoleGrant, t.client_app_roles)
EXCHANGE_GRANT = RecordColumns(ExchangeGrant, t.token_exchange_grants)
SCOPE = RecordColumns(Scope, t.scopes)
# api_permissions.kind -> the Api field that holds permissions of that kind.
_KINDS = (("scope", "scopes"), ("role", "roles"))

_LEAN_GRANTED_ROLES = LeanStatement(
    sa.select(t.client_app_roles.c.role).where(
        t.client_app_roles.c.tenant_id == sa.bindparam("p_tenant"),
        t.client_app_roles.c.client_id == sa.bindparam("p_client_id"),
        t.client_app_roles.c.api_identifier == sa.bindparam("p_api"),
    )
)


class SqlApiRepository(SqlRepository):
    def __init__(self, database: Database, tenant_id: str, registry: RegistryCache) -> None:
        super().__init__(database, tenant_id)
        self._registry = registry

    def _read(self, conn: sa.Connection, *where: sa.ColumnElement[bool]) -> list[Api]:
        """The APIs matching ``where``, each with its permissions, by identifier."""
        apis, ap = t.apis, t.api_permissions
        rows = (
            conn.execute(
                sa.select(*API.columns())
                .where(apis.c.tenant_id == self.tenant_id, *where)
                .order_by(apis.c.identifier)
            )
            .mappings()
            .all()
        )
        if not rows:
            return []
        permissions: dict[tuple[str, str], list[ApiPermission]] = {}
        for p in conn.execute(
            sa.select(ap.c.api_identifier, ap.c.kind, *PERMISSION.columns())
            .where(
                ap.c.tenant_id == self.tenant_id,
                ap.c.api_identifier.in_([r["identifier"] for r in rows]),
            )
            .order_by(ap.c.name)
        ).mappings():
            permissions.setdefault((p["api_identifier"], p["kind"]), []).append(
                PERMISSION.record(p)
            )
        return [
            API.record(
                row,
                **{
                    field: tuple(permissions.get((row["identifier"], kind), ()))
                    for kind, field in _KINDS
                },
            )
            for row in rows
        ]

    @retried
    def get(self, identifier: str) -> Api | None:
        with self.db.read() as conn:
            found = self._read(conn, t.apis.c.identifier == identifier)
        return found[0] if found else None

    def list(self) -> list[Api]:
        cached = self._registry.get(("apis",))
        if cached is not None:
            return list(cast(tuple[Api, ...], cached))
        return self._read_catalogue()

    @retried
    def _read_catalogue(self) -> builtins.list[Api]:
        generation = self._registry.generation()
        with self.db.read() as conn:
            apis = self._read(conn)
        self._registry.put(("apis",), tuple(apis), generation)
        return apis

    @retried
    def save(self, api: Api, now: int) -> None:
        apis, ap, car = t.apis, t.api_permissions, t.client_app_roles
        with self._registry.write() as conn:
            where = (apis.c.tenant_id == self.tenant_id, apis.c.identifier == api.identifier)
            if conn.execute(sa.select(apis.c.identifier).where(*where)).first() is None:
                conn.execute(
                    apis.insert().values(
                        API.values(api, tenant_id=self.tenant_id, created_at=now, updated_at=now)
                    )
                )
            else:
                conn.execute(apis.update().where(*where).values(API.values(api, updated_at=now)))
            mine = (ap.c.tenant_id == self.tenant_id, ap.c.api_identifier == api.identifier)
            conn.execute(ap.delete().where(*mine))
            for kind, permissions in (("scope", api.scopes), ("role", api.roles)):
                for permission in permissions:
                    values = PERMISSION.values(
                        permission,
                        tenant_id=self.tenant_id,
                        api_identifier=api.identifier,
                        kind=kind,
                    )
                    conn.execute(ap.insert().values(values))
            # A role the API no longer defines is no longer granted or assigned to anyone.
            for table in (car, t.app_role_assignments):
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == self.tenant_id,
                        table.c.api_identifier == api.identifier,
                        table.c.role.not_in(sorted(api.role_names())),
                    )
                )

    @retried
    def delete(self, identifier: str) -> bool:
        with self._registry.write() as conn:
            for table, column in (
                (t.api_permissions, t.api_permissions.c.api_identifier),
                (t.client_app_roles, t.client_app_roles.c.api_identifier),
                (t.app_role_assignments, t.app_role_assignments.c.api_identifier),
                (t.token_exchange_grants, t.token_exchange_grants.c.api_identifier),
            ):
                conn.execute(
                    table.delete().where(table.c.tenant_id == self.tenant_id, column == identifier)
                )
            result = conn.execute(
                t.apis.delete().where(
                    t.apis.c.tenant_id == self.tenant_id, t.apis.c.identifier == identifier
                )
            )
        return result.rowcount == 1

    def granted_roles(self, client_id: str, api_identifier: str) -> frozenset[str]:
        key = ("roles", client_id, api_identifier)
        cached = self._registry.get(key)
        if cached is not None:
            return cast(frozenset[str], cached)
        generation = self._registry.generation()
        rows = self.db.fetch_all(
            _LEAN_GRANTED_ROLES,
            {"p_tenant": self.tenant_id, "p_client_id": client_id, "p_api": api_identifier},
        )
        roles = frozenset(r["role"] for r in rows)
        self._registry.put(key, roles, generation)
        return roles

    @retried
    def role_grants(self, client_id: str | None = None) -> builtins.list[RoleGrant]:
        car = t.client_app_roles
        where: list[sa.ColumnElement[bool]] = [car.c.tenant_id == self.tenant_id]
        if client_id is not None:
            where.append(car.c.client_id == client_id)
        query = sa.select(*ROLE_GRANT.columns()).where(*where)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(*ROLE_GRANT.columns())).mappings()
            return [ROLE_GRANT.record(r) for r in rows]

    @retried
    def grant_role(self, client_id: str, api_identifier: str, role: str, now: int) -> None:
        grant = RoleGrant(client_id, api_identifier, role)
        with self._registry.write() as conn:
            insert_ignoring_duplicates(
                conn,
                t.client_app_roles,
                **ROLE_GRANT.values(grant, tenant_id=self.tenant_id, granted_at=now),
            )

    @retried
    def revoke_role(self, client_id: str, api_identifier: str, role: str) -> bool:
        car = t.client_app_roles
        with self._registry.write() as conn:
            result = conn.execute(
                car.delete().where(
                    car.c.tenant_id == self.tenant_id,
                    car.c.client_id == client_id,
                    car.c.api_identifier == api_identifier,
                    car.c.role == role,
                )
            )
        return result.rowcount == 1

    def exchange_grant(self, client_id: str, api_identifier: str) -> ExchangeGrant | None:
        key = ("exchange", client_id, api_identifier)
        cached = self._registry.get(key)
        if cached is None:
            generation = self._registry.generation()
            grants = self._read_exchange_grants(client_id, api_identifier)
            cached = tuple(grants)  # () when not granted: an absence is cached too
            self._registry.put(key, cached, generation)
        found = cast(tuple[ExchangeGrant, ...], cached)
        return found[0] if found else None

    def exchange_grants(self, client_id: str | None = None) -> builtins.list[ExchangeGrant]:
        return self._read_exchange_grants(client_id)

    @retried
    def _read_exchange_grants(
        self, client_id: str | None, api_identifier: str | None = None
    ) -> builtins.list[ExchangeGrant]:
        teg = t.token_exchange_grants
        where: list[sa.ColumnElement[bool]] = [teg.c.tenant_id == self.tenant_id]
        if client_id is not None:
            where.append(teg.c.client_id == client_id)
        if api_identifier is not None:
            where.append(teg.c.api_identifier == api_identifier)
        query = sa.select(*EXCHANGE_GRANT.columns()).where(*where)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(teg.c.client_id, teg.c.api_identifier))
            return [EXCHANGE_GRANT.record(r) for r in rows.mappings()]

    @retried
    def grant_exchange(self, grant: ExchangeGrant, now: int) -> bool:
        teg = t.token_exchange_grants
        where = (
            teg.c.tenant_id == self.tenant_id,
            teg.c.client_id == grant.client_id,
            teg.c.api_identifier == grant.api_identifier,
        )
        with self._registry.write() as conn:
            stored = conn.execute(sa.select(teg.c.impersonation).where(*where)).first()
            if stored is not None and stored.impersonation == grant.impersonation:
                return False
            if stored is None:
                values = EXCHANGE_GRANT.values(grant, tenant_id=self.tenant_id, granted_at=now)
                insert_ignoring_duplicates(conn, teg, **values)
            else:
                conn.execute(
                    teg.update()
                    .where(*where)
                    .values(impersonation=grant.impersonation, granted_at=now)
                )
        return True

    @retried
    def revoke_exchange(self, client_id: str, api_identifier: str) -> bool:
        teg = t.token_exchange_grants
        with self._registry.write() as conn:
            result = conn.execute(
                teg.delete().where(
                    teg.c.tenant_id == self.tenant_id,
                    teg.c.client_id == client_id,
                    teg.c.api_identifier == api_identifier,
                )
            )
        return result.rowcount == 1


class SqlScopeRepository(SqlRepository):
    @retried
    def get_many(self, names: Sequence[str]) -> dict[str, Scope]:
        if not names:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*SCOPE.columns()).where(
                    t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name.in_(list(names))
                )
            ).mappings()
            return {r["name"]: SCOPE.record(r) for r in rows}

    @retried
    def list(self) -> list[Scope]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(*SCOPE.columns())
                .where(t.scopes.c.tenant_id == self.tenant_id)
                .order_by(t.scopes.c.name)
            ).mappings()
            return [SCOPE.record(r) for r in rows]

    @retried
    def upsert(self, name: str, description: str, now: int) -> bool:
        scopes = t.scopes
        where = (scopes.c.tenant_id == self.tenant_id, scopes.c.name == name)
        with self.db.write() as conn:
            existing = conn.execute(sa.select(scopes.c.description).where(*where)).scalar()
            if existing is None:
                values = SCOPE.values(
                    Scope(name, description), tenant_id=self.tenant_id, created_at=now
                )
                conn.execute(scopes.insert().values(values))
                return True
            if existing != description:
                conn.execute(scopes.update().where(*where).values(description=description))
                return True
            return False

    @retried
    def delete(self, name: str) -> bool:
        with self.db.write() as conn:
            result = conn.execute(
                t.scopes.delete().where(
                    t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name == name
                )
            )
            return result.rowcount == 1
