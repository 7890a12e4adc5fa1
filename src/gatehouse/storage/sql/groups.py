"""Groups, their members and the app roles assigned to people and groups
(``GroupRepository``, storage/groups.py).

Token issuance reads what a person holds with one lean statement (``access_of``): a
recursive CTE walks up from the person through the groups that contain them (``UNION``, so
it stops at a group already seen, cycle or not), and the roles of one API assigned to the
person or to any of those groups, and the groups themselves, come back in one result. Nothing
is cached: a change is in the next token issued, a refreshed one included.
"""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa

from gatehouse.storage.groups import (
    Group,
    GroupRef,
    PersonAccess,
    Principal,
    PrincipalKind,
    RoleAssignment,
)
from gatehouse.storage.records import normalized_login
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.base import SqlRepository, retried
from gatehouse.storage.sql.columns import RecordColumns
from gatehouse.storage.sql.database import insert_ignoring_duplicates
from gatehouse.storage.sql.lean import LeanStatement

GROUP = RecordColumns(Group, t.groups)
# Constants written into the lean statement's SQL: it binds only the parameters it names.
_USER, _GROUP, _ROLE = (sa.literal_column(f"'{k}'", sa.String) for k in ("user", "group", "role"))


def _containing_cte(start: sa.ColumnElement[bool]) -> sa.CTE:
    """The ids of the groups that contain the members ``start`` selects, to any depth."""
    gm = t.group_members
    tenant = gm.c.tenant_id == sa.bindparam("p_tenant")
    found = sa.select(gm.c.group_id).where(tenant, start).cte("containing", recursive=True)
    parent = gm.alias("parent")
    return found.union(
        sa.select(parent.c.group_id)
        .join(found, parent.c.member_id == found.c.group_id)
        .where(parent.c.tenant_id == sa.bindparam("p_tenant"), parent.c.member_kind == _GROUP)
    )


def _access_statement() -> sa.Select[Any]:
    gm, ra, g = t.group_members, t.app_role_assignments, t.groups
    mine = _containing_cte(
        sa.and_(gm.c.member_kind == _USER, gm.c.member_id == sa.bindparam("p_user"))
    )
    in_groups = sa.select(mine.c.group_id)
    roles = sa.select(_ROLE.label("kind"), ra.c.role.label("value"), ra.c.role.label("name")).where(
        ra.c.tenant_id == sa.bindparam("p_tenant"),
        ra.c.api_identifier == sa.bindparam("p_api"),
        sa.or_(
            sa.and_(ra.c.principal_kind == _USER, ra.c.principal_id == sa.bindparam("p_user")),
            sa.and_(ra.c.principal_kind == _GROUP, ra.c.principal_id.in_(in_groups)),
        ),
    )
    groups = sa.select(_GROUP, g.c.id, g.c.name).where(
        g.c.tenant_id == sa.bindparam("p_tenant"),
        g.c.id.in_(in_groups),
        sa.bindparam("p_groups", type_=sa.Integer) == sa.literal_column("1"),
    )
    both = sa.union_all(roles, groups).subquery("access")
    return sa.select(both.c.kind, both.c.value, both.c.name)


_LEAN_ACCESS = LeanStatement(_access_statement())


def _principal_rows(
    table: sa.Table, kind_column: str, id_column: str, principal: Principal
) -> sa.ColumnElement[bool]:
    return sa.and_(table.c[kind_column] == principal.kind, table.c[id_column] == principal.id)


def forget_principal(conn: sa.Connection, tenant_id: str, principal: Principal) -> None:
    """Remove a deleted user's or group's memberships and role assignments (the user and
    group repositories call it in the transaction that deletes it)."""
    gm, ra = t.group_members, t.app_role_assignments
    conn.execute(
        gm.delete().where(
            gm.c.tenant_id == tenant_id, _principal_rows(gm, "member_kind", "member_id", principal)
        )
    )
    conn.execute(
        ra.delete().where(
            ra.c.tenant_id == tenant_id,
            _principal_rows(ra, "principal_kind", "principal_id", principal),
        )
    )


class SqlGroupRepository(SqlRepository):
    def _where(self, *where: sa.ColumnElement[bool]) -> builtins.list[Group]:
        g = t.groups
        query = sa.select(*GROUP.columns()).where(g.c.tenant_id == self.tenant_id, *where)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(g.c.name_normalized)).mappings()
            return [GROUP.record(r) for r in rows]

    @retried
    def get(self, group_id: str) -> Group | None:
        found = self._where(t.groups.c.id == group_id)
        return found[0] if found else None

    @retried
    def find_by_name(self, name: str) -> Group | None:
        found = self._where(t.groups.c.name_normalized == normalized_login(name))
        return found[0] if found else None

    @retried
    def list(self) -> builtins.list[Group]:
        return self._where()

    @retried
    def insert(self, group: Group) -> None:
        values = GROUP.values(
            group, tenant_id=self.tenant_id, name_normalized=normalized_login(group.name)
        )
        with self.db.write() as conn:
            conn.execute(t.groups.insert().values(values))

    @retried
    def update(self, group: Group) -> None:
        g = t.groups
        with self.db.write() as conn:
            conn.execute(
                g.update()
                .where(g.c.tenant_id == self.tenant_id, g.c.id == group.id)
                .values(
                    name=group.name,
                    name_normalized=normalized_login(group.name),
                    description=group.description,
                    updated_at=group.updated_at,
                )
            )

    @retried
    def delete(self, group_id: str) -> bool:
        g, gm = t.groups, t.group_members
        with self.db.write() as conn:
            forget_principal(conn, self.tenant_id, Principal("group", group_id))
            conn.execute(
                gm.delete().where(gm.c.tenant_id == self.tenant_id, gm.c.group_id == group_id)
            )
            result = conn.execute(
                g.delete().where(g.c.tenant_id == self.tenant_id, g.c.id == group_id)
            )
            return result.rowcount == 1

    @retried
    def members(self, group_id: str) -> builtins.list[Principal]:
        gm = t.group_members
        query = (
            sa.select(gm.c.member_kind, gm.c.member_id)
            .where(gm.c.tenant_id == self.tenant_id, gm.c.group_id == group_id)
            .order_by(gm.c.member_kind.desc(), gm.c.member_id)  # "user" before "group"
        )
        with self.db.read() as conn:
            return [_principal(r.member_kind, r.member_id) for r in conn.execute(query)]

    @retried
    def add_member(self, group_id: str, member: Principal, now: int) -> bool:
        gm = t.group_members
        with self.db.write() as conn:
            before = conn.execute(
                sa.select(sa.func.count()).where(
                    gm.c.tenant_id == self.tenant_id,
                    gm.c.group_id == group_id,
                    _principal_rows(gm, "member_kind", "member_id", member),
                )
            ).scalar_one()
            insert_ignoring_duplicates(
                conn,
                gm,
                tenant_id=self.tenant_id,
                group_id=group_id,
                member_kind=member.kind,
                member_id=member.id,
                added_at=now,
            )
            return before == 0

    @retried
    def remove_member(self, group_id: str, member: Principal) -> bool:
        gm = t.group_members
        with self.db.write() as conn:
            result = conn.execute(
                gm.delete().where(
                    gm.c.tenant_id == self.tenant_id,
                    gm.c.group_id == group_id,
                    _principal_rows(gm, "member_kind", "member_id", member),
                )
            )
            return result.rowcount == 1

    @retried
    def containing(self, member: Principal) -> frozenset[str]:
        gm = t.group_members
        found = _containing_cte(_principal_rows(gm, "member_kind", "member_id", member))
        with self.db.read() as conn:
            rows = conn.execute(sa.select(found.c.group_id), {"p_tenant": self.tenant_id})
            return frozenset(r.group_id for r in rows)

    @retried
    def assign_role(self, assignment: RoleAssignment, now: int) -> bool:
        ra = t.app_role_assignments
        values = _assignment_values(assignment)
        with self.db.write() as conn:
            before = conn.execute(
                sa.select(sa.func.count()).where(
                    ra.c.tenant_id == self.tenant_id, *(ra.c[k] == v for k, v in values.items())
                )
            ).scalar_one()
            insert_ignoring_duplicates(
                conn, ra, tenant_id=self.tenant_id, assigned_at=now, **values
            )
            return before == 0

    @retried
    def unassign_role(self, assignment: RoleAssignment) -> bool:
        ra = t.app_role_assignments
        values = _assignment_values(assignment)
        with self.db.write() as conn:
            result = conn.execute(
                ra.delete().where(
                    ra.c.tenant_id == self.tenant_id, *(ra.c[k] == v for k, v in values.items())
                )
            )
            return result.rowcount == 1

    @retried
    def role_assignments(
        self, *, api_identifier: str | None = None, principal: Principal | None = None
    ) -> builtins.list[RoleAssignment]:
        ra = t.app_role_assignments
        where: builtins.list[sa.ColumnElement[bool]] = [ra.c.tenant_id == self.tenant_id]
        if api_identifier is not None:
            where.append(ra.c.api_identifier == api_identifier)
        if principal is not None:
            where.append(_principal_rows(ra, "principal_kind", "principal_id", principal))
        query = (
            sa.select(ra.c.api_identifier, ra.c.role, ra.c.principal_kind, ra.c.principal_id)
            .where(*where)
            .order_by(ra.c.api_identifier, ra.c.role, ra.c.principal_kind, ra.c.principal_id)
        )
        with self.db.read() as conn:
            return [
                RoleAssignment(
                    r.api_identifier, r.role, _principal(r.principal_kind, r.principal_id)
                )
                for r in conn.execute(query)
            ]

    def access_of(self, user_id: str, api_identifier: str | None, *, groups: bool) -> PersonAccess:
        rows = self.db.fetch_all(
            _LEAN_ACCESS,
            {
                "p_tenant": self.tenant_id,
                "p_user": user_id,
                "p_api": api_identifier,
                "p_groups": 1 if groups else 0,
            },
        )
        return PersonAccess(
            roles=frozenset(r["value"] for r in rows if r["kind"] == "role"),
            groups=tuple(
                sorted(
                    (GroupRef(r["value"], r["name"]) for r in rows if r["kind"] == "group"),
                    key=lambda ref: ref.name.casefold(),
                )
            ),
        )


def _principal(kind: str, principal_id: str) -> Principal:
    checked: PrincipalKind = "group" if kind == "group" else "user"
    return Principal(checked, principal_id)


def _assignment_values(assignment: RoleAssignment) -> dict[str, Any]:
    return {
        "api_identifier": assignment.api_identifier,
        "role": assignment.role,
        "principal_kind": assignment.principal.kind,
        "principal_id": assignment.principal.id,
    }
