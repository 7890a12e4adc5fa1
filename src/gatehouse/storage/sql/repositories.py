"""SQL implementation of the storage contracts (``storage.repositories``).

Hot paths (client authentication, code redemption) are single Core statements, built once
with bind parameters and run lean (``LeanStatement``: compiled once, straight on the driver's
cursor, no transaction around a statement that is atomic by itself). One-time rules are
conditional UPDATEs whose row count decides the winner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gatehouse.storage.records import (
    Api,
    ApiPermission,
    AuthorizationCode,
    AuthorizationCodeState,
    Client,
    ClientSecret,
    Consent,
    Interaction,
    RefreshToken,
    RefreshTokenState,
    Scope,
    SsoSession,
    User,
)
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.cache import ProcessCache
from gatehouse.storage.sql.database import Database, LeanStatement, insert_ignoring_duplicates

# ("client", client_id), ("apis",) and ("roles", client_id, api) -> what was read for them.
RegistryCache = ProcessCache[tuple[str, ...], object]

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
_LEAN_USER_BY_ID = LeanStatement(
    sa.select(t.users).where(
        t.users.c.tenant_id == sa.bindparam("p_tenant"), t.users.c.id == sa.bindparam("p_id")
    )
)
_LEAN_CODE_BY_HASH = LeanStatement(
    sa.select(t.authorization_codes).where(
        t.authorization_codes.c.tenant_id == sa.bindparam("p_tenant"),
        t.authorization_codes.c.code_hash == sa.bindparam("p_code_hash"),
    )
)
# An SSO session is alive until it ends, reaches its absolute expiry or sits idle too long;
# one rule for looking a session up by its cookie and by its public sid.
_SESSION_ALIVE = (
    t.sso_sessions.c.ended_at.is_(None),
    t.sso_sessions.c.expires_at > sa.bindparam("p_now"),
    t.sso_sessions.c.last_seen_at > sa.bindparam("p_idle_since"),
)
_LEAN_ACTIVE_SESSION = LeanStatement(
    sa.select(t.sso_sessions).where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.id_hash == sa.bindparam("p_id_hash"),
        *_SESSION_ALIVE,
    )
)
_LEAN_ACTIVE_SID = LeanStatement(
    sa.select(t.sso_sessions.c.sid).where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.sid == sa.bindparam("p_sid"),
        *_SESSION_ALIVE,
    )
)
_LEAN_TOUCH_SID = LeanStatement(
    t.sso_sessions.update()
    .where(
        t.sso_sessions.c.tenant_id == sa.bindparam("p_tenant"),
        t.sso_sessions.c.sid == sa.bindparam("p_sid"),
    )
    .values(last_seen_at=sa.bindparam("p_now"))
)
_LEAN_CONSENT = LeanStatement(
    sa.select(t.consents.c.scopes, t.consents.c.granted_at).where(
        t.consents.c.tenant_id == sa.bindparam("p_tenant"),
        t.consents.c.user_id == sa.bindparam("p_user_id"),
        t.consents.c.client_id == sa.bindparam("p_client_id"),
    )
)
_CODE_COLUMNS = (
    "tenant_id",
    "code_hash",
    "grant_id",
    "client_id",
    "user_id",
    "sid",
    "redirect_uri",
    "redirect_uri_given",
    "scopes",
    "nonce",
    "code_challenge",
    "resources",
    "auth_time",
    "amr",
    "acr",
    "created_at",
    "expires_at",
)


def _column_params(table: sa.Table, columns: Sequence[str]) -> dict[str, sa.BindParameter[Any]]:
    """column -> bind parameter ``p_<column>`` of the column's type, for lean INSERTs."""
    return {name: sa.bindparam(f"p_{name}", type_=table.c[name].type) for name in columns}


_LEAN_INSERT_CODE = LeanStatement(
    t.authorization_codes.insert().values(_column_params(t.authorization_codes, _CODE_COLUMNS))
)
# Reads that need a row and its user in one round trip: the row LEFT JOIN its user, whose
# columns come back labelled user__<name> (``_joined_user`` reads them).
_USER_LABELS = [c.label(f"user__{c.name}") for c in t.users.c]


def _with_user(table: sa.Table) -> sa.Join:
    return table.outerjoin(
        t.users,
        sa.and_(t.users.c.tenant_id == table.c.tenant_id, t.users.c.id == table.c.user_id),
    )


def _grant_revoked(table: sa.Table) -> sa.Label[bool]:
    """Whether the grant (token family) of ``table``'s row is on the revoked list."""
    return (
        sa.exists()
        .where(
            t.revoked_grants.c.tenant_id == table.c.tenant_id,
            t.revoked_grants.c.grant_id == table.c.grant_id,
        )
        .label("grant_revoked")
    )


_LEAN_CODE_STATE = LeanStatement(
    sa.select(t.authorization_codes, *_USER_LABELS, _grant_revoked(t.authorization_codes))
    .select_from(_with_user(t.authorization_codes))
    .where(
        t.authorization_codes.c.tenant_id == sa.bindparam("p_tenant"),
        t.authorization_codes.c.code_hash == sa.bindparam("p_code_hash"),
    )
)
_LEAN_CONSUME_CODE = LeanStatement(
    t.authorization_codes.update()
    .where(
        t.authorization_codes.c.tenant_id == sa.bindparam("p_tenant"),
        t.authorization_codes.c.code_hash == sa.bindparam("p_code_hash"),
        t.authorization_codes.c.used_at.is_(None),
    )
    .values(
        used_at=sa.bindparam("p_now"),
        access_token_jti=sa.bindparam("p_jti"),
        access_token_expires_at=sa.bindparam("p_jti_expires_at"),
    )
)
_REFRESH_COLUMNS = (
    "tenant_id",
    "token_hash",
    "grant_id",
    "client_id",
    "user_id",
    "sid",
    "scopes",
    "resources",
    "auth_time",
    "amr",
    "acr",
    "created_at",
    "idle_expires_at",
    "expires_at",
    "access_token_jti",
    "access_token_expires_at",
)
_LEAN_INSERT_REFRESH = LeanStatement(
    t.refresh_tokens.insert().values(_column_params(t.refresh_tokens, _REFRESH_COLUMNS))
)
_LEAN_REFRESH_BY_HASH = LeanStatement(
    sa.select(t.refresh_tokens).where(
        t.refresh_tokens.c.tenant_id == sa.bindparam("p_tenant"),
        t.refresh_tokens.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
_LEAN_REFRESH_STATE = LeanStatement(
    sa.select(t.refresh_tokens, *_USER_LABELS, _grant_revoked(t.refresh_tokens))
    .select_from(_with_user(t.refresh_tokens))
    .where(
        t.refresh_tokens.c.tenant_id == sa.bindparam("p_tenant"),
        t.refresh_tokens.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
_MARK_REFRESH_USED = (
    t.refresh_tokens.update()
    .where(
        t.refresh_tokens.c.tenant_id == sa.bindparam("p_tenant"),
        t.refresh_tokens.c.token_hash == sa.bindparam("p_used_hash"),
        t.refresh_tokens.c.used_at.is_(None),
        t.refresh_tokens.c.revoked_at.is_(None),
    )
    .values(used_at=sa.bindparam("p_now"))
)
_LEAN_MARK_REFRESH_USED = LeanStatement(_MARK_REFRESH_USED)
_LEAN_DELETE_REFRESH = LeanStatement(
    t.refresh_tokens.delete().where(
        t.refresh_tokens.c.tenant_id == sa.bindparam("p_tenant"),
        t.refresh_tokens.c.token_hash == sa.bindparam("p_token_hash"),
    )
)
# WITH used AS (UPDATE … RETURNING) INSERT … SELECT … FROM used: the successor row exists
# only when the UPDATE marked the presented token, in one statement and one round trip.
_USED_REFRESH = _MARK_REFRESH_USED.returning(t.refresh_tokens.c.token_hash).cte("used")
_LEAN_PG_ROTATE_REFRESH = LeanStatement(
    t.refresh_tokens.insert()
    .from_select(
        list(_REFRESH_COLUMNS),
        sa.select(*_column_params(t.refresh_tokens, _REFRESH_COLUMNS).values()).select_from(
            _USED_REFRESH
        ),
    )
    .add_cte(_USED_REFRESH)
)
_LEAN_GRANTED_ROLES = LeanStatement(
    sa.select(t.client_app_roles.c.role).where(
        t.client_app_roles.c.tenant_id == sa.bindparam("p_tenant"),
        t.client_app_roles.c.client_id == sa.bindparam("p_client_id"),
        t.client_app_roles.c.api_identifier == sa.bindparam("p_api"),
    )
)


def _client(row: Mapping[str, Any]) -> Client:
    return Client(
        client_id=row["client_id"],
        name=row["name"],
        client_type=row["client_type"],
        auth_method=row["auth_method"],
        grant_types=tuple(row["grant_types"]),
        redirect_uris=tuple(row["redirect_uris"]),
        post_logout_redirect_uris=tuple(row["post_logout_redirect_uris"]),
        allowed_scopes=tuple(row["allowed_scopes"]),
        web_origins=tuple(row["web_origins"]),
        first_party=bool(row["first_party"]),
        id_token_signing_alg=row["id_token_signing_alg"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        jwks=row["jwks"],
        jwks_uri=row["jwks_uri"],
        refresh_token_rotation=bool(row["refresh_token_rotation"]),
    )


def _secret(row: Mapping[str, Any]) -> ClientSecret:
    return ClientSecret(
        id=row["id"],
        client_id=row["client_id"],
        secret_hash=row["secret_hash"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def _user(row: Mapping[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        email_verified=bool(row["email_verified"]),
        name=row["name"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        phone_number=row["phone_number"],
        phone_number_verified=bool(row["phone_number_verified"]),
        address=row["address"],
        disabled=bool(row["disabled"]),
        password_hash=row["password_hash"],
        password_changed_at=row["password_changed_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _code(row: Mapping[str, Any]) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row["code_hash"],
        grant_id=row["grant_id"],
        client_id=row["client_id"],
        user_id=row["user_id"],
        sid=row["sid"],
        redirect_uri=row["redirect_uri"],
        redirect_uri_given=bool(row["redirect_uri_given"]),
        scopes=tuple(row["scopes"]),
        nonce=row["nonce"],
        code_challenge=row["code_challenge"],
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        acr=row["acr"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        access_token_jti=row["access_token_jti"],
        access_token_expires_at=row["access_token_expires_at"],
        resources=tuple(row["resources"] or ()),
    )


def _joined_user(row: Mapping[str, Any]) -> User | None:
    """The user of a ``_with_user`` read, or None when the user is gone."""
    if row["user__id"] is None:
        return None
    return _user({c.name: row[f"user__{c.name}"] for c in t.users.c})


def _refresh_token(row: Mapping[str, Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row["token_hash"],
        grant_id=row["grant_id"],
        client_id=row["client_id"],
        user_id=row["user_id"],
        sid=row["sid"],
        scopes=tuple(row["scopes"]),
        auth_time=row["auth_time"],
        amr=tuple(row["amr"]),
        acr=row["acr"],
        created_at=row["created_at"],
        idle_expires_at=row["idle_expires_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
        resources=tuple(row["resources"] or ()),
        access_token_jti=row["access_token_jti"],
        access_token_expires_at=row["access_token_expires_at"],
    )


class _Repository:
    def __init__(self, database: Database, tenant_id: str) -> None:
        self.db = database
        self.tenant_id = tenant_id


class SqlClientRepository(_Repository):
    def __init__(self, database: Database, tenant_id: str, registry: RegistryCache) -> None:
        super().__init__(database, tenant_id)
        # Client authentication reads a client and its secrets on every token request; the
        # registry cache keeps ("client", client_id) -> (client, secrets) for clients that
        # exist (storage/sql/cache.py). It is shared with the API repository: a write through
        # either drops all of it.
        self._registry = registry

    def get(self, client_id: str) -> Client | None:
        row = self.db.fetch_one(
            _LEAN_CLIENT_BY_ID, {"p_tenant": self.tenant_id, "p_client_id": client_id}
        )
        return _client(row) if row else None

    def get_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        key = ("client", client_id)
        cached = self._registry.get(key)
        if cached is not None:
            return cast(tuple[Client, tuple[ClientSecret, ...]], cached)
        generation = self._registry.generation()
        params = {"p_tenant": self.tenant_id, "p_client_id": client_id}
        with self.db.read() as conn:  # one snapshot: the client and the secrets agree
            row = conn.execute(_CLIENT_BY_ID, params).mappings().first()
            if row is None:
                return None  # not cached: a client registered a moment later works at once
            secrets = tuple(_secret(r) for r in conn.execute(_SECRETS_OF_CLIENT, params).mappings())
        found = (_client(row), secrets)
        self._registry.put(key, found, generation)
        return found

    def _changed(self) -> None:
        """Every write calls this after it committed: drop what the registry cache holds."""
        self._registry.invalidate()

    def list(self) -> list[Client]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.clients)
                .where(t.clients.c.tenant_id == self.tenant_id)
                .order_by(t.clients.c.client_id)
            ).mappings()
            return [_client(r) for r in rows]

    def secrets(self, client_id: str) -> list[ClientSecret]:
        with self.db.statement() as conn:
            rows = conn.execute(
                _SECRETS_OF_CLIENT, {"p_tenant": self.tenant_id, "p_client_id": client_id}
            ).mappings()
            return [_secret(r) for r in rows]

    def insert(
        self, values: dict[str, Any], secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        with self.db.write() as conn:
            conn.execute(t.clients.insert().values(tenant_id=self.tenant_id, **values))
            if secret is not None:
                self._insert_secret(conn, secret, encrypted)
        self._changed()

    def update(self, client_id: str, values: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.clients.update()
                .where(t.clients.c.tenant_id == self.tenant_id, t.clients.c.client_id == client_id)
                .values(**values)
            )
        self._changed()

    def replace_secrets(
        self, client_id: str, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        with self.db.write() as conn:
            cs = t.client_secrets
            conn.execute(
                cs.delete().where(cs.c.tenant_id == self.tenant_id, cs.c.client_id == client_id)
            )
            if secret is not None:
                self._insert_secret(conn, secret, encrypted)
        self._changed()

    def _insert_secret(
        self, conn: sa.Connection, secret: ClientSecret, encrypted: bytes | None = None
    ) -> None:
        conn.execute(
            t.client_secrets.insert().values(
                tenant_id=self.tenant_id,
                id=secret.id,
                client_id=secret.client_id,
                secret_hash=secret.secret_hash,
                created_at=secret.created_at,
                expires_at=secret.expires_at,
                revoked_at=secret.revoked_at,
                secret_encrypted=encrypted,
            )
        )

    def add_secret(self, secret: ClientSecret, encrypted: bytes | None = None) -> None:
        with self.db.write() as conn:
            self._insert_secret(conn, secret, encrypted)
        self._changed()

    def revoke_secret(self, client_id: str, secret_id: str, now: int) -> bool:
        cs = t.client_secrets
        with self.db.write() as conn:
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
        self._changed()
        return result.rowcount == 1

    def encrypted_secrets(self, client_id: str, now: int) -> list[tuple[str, bytes]]:
        """(secret id, ciphertext) of the usable secrets kept for client_secret_jwt."""
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

    def delete(self, client_id: str) -> bool:
        with self.db.write() as conn:
            cs = t.client_secrets
            conn.execute(
                cs.delete().where(cs.c.tenant_id == self.tenant_id, cs.c.client_id == client_id)
            )
            # Application-role grants too: a client later created under the same id must not
            # inherit them.
            for table in (
                t.consents,
                t.refresh_tokens,
                t.authorization_codes,
                t.interactions,
                t.client_app_roles,
            ):
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == self.tenant_id, table.c.client_id == client_id
                    )
                )
            result = conn.execute(
                t.clients.delete().where(
                    t.clients.c.tenant_id == self.tenant_id, t.clients.c.client_id == client_id
                )
            )
        self._changed()
        return result.rowcount == 1


class SqlUserRepository(_Repository):
    def _one(self, *conditions: sa.ColumnElement[bool]) -> User | None:
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(t.users).where(t.users.c.tenant_id == self.tenant_id, *conditions)
                )
                .mappings()
                .first()
            )
        return _user(row) if row else None

    def get(self, user_id: str) -> User | None:
        row = self.db.fetch_one(_LEAN_USER_BY_ID, {"p_tenant": self.tenant_id, "p_id": user_id})
        return _user(row) if row else None

    def find_by_login(self, login: str) -> User | None:
        normalized = login.strip().casefold()
        return self._one(
            sa.or_(
                t.users.c.username_normalized == normalized,
                t.users.c.email_normalized == normalized,
            )
        )

    def list(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.users)
                .where(t.users.c.tenant_id == self.tenant_id)
                .order_by(t.users.c.username_normalized)
            ).mappings()
            return [_user(r) for r in rows]

    def insert(self, values: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(t.users.insert().values(tenant_id=self.tenant_id, **values))

    def update(self, user_id: str, values: dict[str, Any]) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.users.update()
                .where(t.users.c.tenant_id == self.tenant_id, t.users.c.id == user_id)
                .values(**values)
            )

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        self.update(user_id, {"password_hash": password_hash})

    def end_sessions_and_tokens(self, user_id: str, reason: str, now: int) -> None:
        """A disabled user or a changed password ends every session and refresh token, and
        every code not yet redeemed."""
        with self.db.write() as conn:
            _revoke_grants_of(conn, self.tenant_id, reason, now, user_id=user_id)
            conn.execute(
                t.sso_sessions.update()
                .where(
                    t.sso_sessions.c.tenant_id == self.tenant_id,
                    t.sso_sessions.c.user_id == user_id,
                    t.sso_sessions.c.ended_at.is_(None),
                )
                .values(ended_at=now)
            )
            conn.execute(
                t.refresh_tokens.update()
                .where(
                    t.refresh_tokens.c.tenant_id == self.tenant_id,
                    t.refresh_tokens.c.user_id == user_id,
                    t.refresh_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )

    def delete(self, user_id: str) -> bool:
        with self.db.write() as conn:
            for table in (t.sso_sessions, t.consents, t.refresh_tokens, t.authorization_codes):
                conn.execute(
                    table.delete().where(
                        table.c.tenant_id == self.tenant_id, table.c.user_id == user_id
                    )
                )
            result = conn.execute(
                t.users.delete().where(
                    t.users.c.tenant_id == self.tenant_id, t.users.c.id == user_id
                )
            )
            return result.rowcount == 1


class SqlScopeRepository(_Repository):
    def get_many(self, names: Sequence[str]) -> dict[str, Scope]:
        if not names:
            return {}
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.scopes.c.name, t.scopes.c.description).where(
                    t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name.in_(list(names))
                )
            )
            return {r.name: Scope(r.name, r.description) for r in rows}

    def list(self) -> list[Scope]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.scopes.c.name, t.scopes.c.description)
                .where(t.scopes.c.tenant_id == self.tenant_id)
                .order_by(t.scopes.c.name)
            )
            return [Scope(r.name, r.description) for r in rows]

    def upsert(self, name: str, description: str, now: int) -> bool:
        """Create or update; True when something changed."""
        with self.db.write() as conn:
            existing = conn.execute(
                sa.select(t.scopes.c.description).where(
                    t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name == name
                )
            ).scalar()
            if existing is None:
                conn.execute(
                    t.scopes.insert().values(
                        tenant_id=self.tenant_id, name=name, description=description, created_at=now
                    )
                )
                return True
            if existing != description:
                conn.execute(
                    t.scopes.update()
                    .where(t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name == name)
                    .values(description=description)
                )
                return True
            return False

    def delete(self, name: str) -> bool:
        with self.db.write() as conn:
            result = conn.execute(
                t.scopes.delete().where(
                    t.scopes.c.tenant_id == self.tenant_id, t.scopes.c.name == name
                )
            )
            return result.rowcount == 1


class SqlSessionRepository(_Repository):
    def create(self, session_id_hash: str, session: SsoSession) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.sso_sessions.insert().values(
                    tenant_id=self.tenant_id,
                    id_hash=session_id_hash,
                    sid=session.sid,
                    user_id=session.user_id,
                    auth_time=session.auth_time,
                    amr=list(session.amr),
                    acr=session.acr,
                    created_at=session.created_at,
                    last_seen_at=session.last_seen_at,
                    expires_at=session.expires_at,
                )
            )

    def get_active(self, session_id_hash: str, now: int, idle_seconds: int) -> SsoSession | None:
        row = self.db.fetch_one(
            _LEAN_ACTIVE_SESSION,
            {
                "p_tenant": self.tenant_id,
                "p_id_hash": session_id_hash,
                "p_now": now,
                "p_idle_since": now - idle_seconds,
            },
        )
        if row is None:
            return None
        return SsoSession(
            sid=row["sid"],
            user_id=row["user_id"],
            auth_time=row["auth_time"],
            amr=tuple(row["amr"]),
            acr=row["acr"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            expires_at=row["expires_at"],
        )

    def touch(self, session_id_hash: str, now: int) -> None:
        s = t.sso_sessions
        with self.db.write() as conn:
            conn.execute(
                s.update()
                .where(s.c.tenant_id == self.tenant_id, s.c.id_hash == session_id_hash)
                .values(last_seen_at=now)
            )

    def end(self, session_id_hash: str, now: int) -> None:
        s = t.sso_sessions
        with self.db.write() as conn:
            conn.execute(
                s.update()
                .where(
                    s.c.tenant_id == self.tenant_id,
                    s.c.id_hash == session_id_hash,
                    s.c.ended_at.is_(None),
                )
                .values(ended_at=now)
            )

    def renew(
        self,
        session_id_hash: str,
        new_id_hash: str,
        user_id: str,
        amr: tuple[str, ...],
        now: int,
        expires_at: int,
        idle_seconds: int,
    ) -> bool:
        s = t.sso_sessions
        with self.db.write() as conn:
            result = conn.execute(
                s.update()
                .where(
                    s.c.tenant_id == self.tenant_id,
                    s.c.id_hash == session_id_hash,
                    s.c.user_id == user_id,
                    *_SESSION_ALIVE,
                )
                .values(
                    id_hash=new_id_hash,
                    auth_time=now,
                    amr=list(amr),
                    last_seen_at=now,
                    expires_at=expires_at,
                ),
                {"p_now": now, "p_idle_since": now - idle_seconds},
            )
            return result.rowcount == 1

    def end_by_sid(self, sid: str, now: int) -> None:
        s = t.sso_sessions
        with self.db.write() as conn:
            conn.execute(
                s.update()
                .where(s.c.tenant_id == self.tenant_id, s.c.sid == sid, s.c.ended_at.is_(None))
                .values(ended_at=now)
            )

    def active_by_sid(self, sid: str, now: int, idle_seconds: int) -> bool:
        """Whether the session with this public sid is still alive (for session-bound
        refresh tokens)."""
        row = self.db.fetch_one(
            _LEAN_ACTIVE_SID,
            {"p_tenant": self.tenant_id, "p_sid": sid, "p_now": now,
             "p_idle_since": now - idle_seconds},
        )  # fmt: skip
        return row is not None

    def touch_sid(self, sid: str, now: int) -> None:
        self.db.execute_count(
            _LEAN_TOUCH_SID, {"p_tenant": self.tenant_id, "p_sid": sid, "p_now": now}
        )


class SqlConsentRepository(_Repository):
    def get(self, user_id: str, client_id: str) -> Consent | None:
        row = self.db.fetch_one(
            _LEAN_CONSENT,
            {"p_tenant": self.tenant_id, "p_user_id": user_id, "p_client_id": client_id},
        )
        if row is None:
            return None
        return Consent(user_id, client_id, frozenset(row["scopes"]), row["granted_at"])

    def grant(self, user_id: str, client_id: str, scopes: frozenset[str], now: int) -> Consent:
        c = t.consents
        where = (
            c.c.tenant_id == self.tenant_id,
            c.c.user_id == user_id,
            c.c.client_id == client_id,
        )
        values = {
            "tenant_id": self.tenant_id,
            "user_id": user_id,
            "client_id": client_id,
            "scopes": sorted(scopes),
            "granted_at": now,
            "updated_at": now,
        }
        with self.db.write() as conn:
            # Insert first and merge on conflict: a SELECT-then-INSERT let two concurrent
            # consent submissions both insert, and the loser failed on the primary key.
            insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            if conn.execute(insert(c).values(**values).on_conflict_do_nothing()).rowcount == 1:
                return Consent(user_id, client_id, frozenset(scopes), now)
            row = conn.execute(
                sa.select(c.c.scopes, c.c.granted_at).where(*where).with_for_update()
            ).one()
            merged, granted_at = frozenset(row.scopes) | scopes, row.granted_at
            conn.execute(c.update().where(*where).values(scopes=sorted(merged), updated_at=now))
        return Consent(user_id, client_id, merged, granted_at)

    def revoke(self, user_id: str, client_id: str) -> bool:
        c = t.consents
        with self.db.write() as conn:
            result = conn.execute(
                c.delete().where(
                    c.c.tenant_id == self.tenant_id,
                    c.c.user_id == user_id,
                    c.c.client_id == client_id,
                )
            )
            return result.rowcount == 1

    def list_for_user(self, user_id: str) -> list[Consent]:
        c = t.consents
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(c.c.client_id, c.c.scopes, c.c.granted_at)
                .where(c.c.tenant_id == self.tenant_id, c.c.user_id == user_id)
                .order_by(c.c.client_id)
            ).all()
        return [Consent(user_id, r.client_id, frozenset(r.scopes), r.granted_at) for r in rows]


class SqlInteractionRepository(_Repository):
    def create(self, interaction: Interaction) -> None:
        with self.db.write() as conn:
            conn.execute(
                t.interactions.insert().values(
                    tenant_id=self.tenant_id,
                    id_hash=interaction.id_hash,
                    client_id=interaction.client_id,
                    request=interaction.request,
                    created_at=interaction.created_at,
                    expires_at=interaction.expires_at,
                    login_completed_at=interaction.login_completed_at,
                    consent_given=interaction.consent_given,
                    browser_hash=interaction.browser_hash,
                )
            )

    def get(self, id_hash: str, now: int) -> Interaction | None:
        return self._get(id_hash, now, t.interactions.c.completed_at.is_(None))

    def get_completed(self, id_hash: str, now: int) -> Interaction | None:
        return self._get(id_hash, now, t.interactions.c.completed_at.is_not(None))

    def _get(
        self, id_hash: str, now: int, completion: sa.ColumnElement[bool]
    ) -> Interaction | None:
        i = t.interactions
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(i).where(
                        i.c.tenant_id == self.tenant_id,
                        i.c.id_hash == id_hash,
                        completion,
                        i.c.expires_at > now,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return Interaction(
            id_hash=row["id_hash"],
            client_id=row["client_id"],
            request=row["request"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            login_completed_at=row["login_completed_at"],
            consent_given=bool(row["consent_given"]),
            browser_hash=row["browser_hash"],
        )

    def _set(self, id_hash: str, **values: Any) -> int:
        i = t.interactions
        with self.db.write() as conn:
            result = conn.execute(
                i.update()
                .where(
                    i.c.tenant_id == self.tenant_id,
                    i.c.id_hash == id_hash,
                    i.c.completed_at.is_(None),
                )
                .values(**values)
            )
            return result.rowcount

    def mark_login(self, id_hash: str, now: int) -> None:
        self._set(id_hash, login_completed_at=now)

    def mark_consent(self, id_hash: str) -> None:
        self._set(id_hash, consent_given=True)

    def complete(self, id_hash: str, now: int) -> bool:
        return self._set(id_hash, completed_at=now) == 1


class SqlAuthorizationCodeRepository(_Repository):
    def create(self, code: AuthorizationCode) -> None:
        # One INSERT, atomic by itself: no transaction holding SQLite's lock around it.
        values = {
            "tenant_id": self.tenant_id,
            "code_hash": code.code_hash,
            "grant_id": code.grant_id,
            "client_id": code.client_id,
            "user_id": code.user_id,
            "sid": code.sid,
            "redirect_uri": code.redirect_uri,
            "redirect_uri_given": code.redirect_uri_given,
            "scopes": list(code.scopes),
            "nonce": code.nonce,
            "code_challenge": code.code_challenge,
            "resources": list(code.resources),
            "auth_time": code.auth_time,
            "amr": list(code.amr),
            "acr": code.acr,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
        }
        self.db.execute_count(_LEAN_INSERT_CODE, {f"p_{k}": v for k, v in values.items()})

    def get(self, code_hash: str) -> AuthorizationCode | None:
        row = self.db.fetch_one(
            _LEAN_CODE_BY_HASH, {"p_tenant": self.tenant_id, "p_code_hash": code_hash}
        )
        return _code(row) if row else None

    def get_state(self, code_hash: str) -> AuthorizationCodeState | None:
        row = self.db.fetch_one(
            _LEAN_CODE_STATE, {"p_tenant": self.tenant_id, "p_code_hash": code_hash}
        )
        if row is None:
            return None
        return AuthorizationCodeState(_code(row), _joined_user(row), bool(row["grant_revoked"]))

    def consume(self, code_hash: str, now: int, jti: str, jti_expires_at: int) -> bool:
        # One conditional UPDATE, atomic by itself: the row count says who won.
        count = self.db.execute_count(
            _LEAN_CONSUME_CODE,
            {
                "p_tenant": self.tenant_id,
                "p_code_hash": code_hash,
                "p_now": now,
                "p_jti": jti,
                "p_jti_expires_at": jti_expires_at,
            },
        )
        return count == 1


class SqlRefreshTokenRepository(_Repository):
    # Every statement of the refresh grant's hot path is one lean statement, atomic by
    # itself: no transaction holds SQLite's write lock across a thread switch.
    def create(self, token: RefreshToken) -> None:
        values = self._values(token)
        self.db.execute_count(_LEAN_INSERT_REFRESH, {f"p_{k}": v for k, v in values.items()})

    def _values(self, token: RefreshToken) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "token_hash": token.token_hash,
            "grant_id": token.grant_id,
            "client_id": token.client_id,
            "user_id": token.user_id,
            "sid": token.sid,
            "scopes": list(token.scopes),
            "resources": list(token.resources),
            "auth_time": token.auth_time,
            "amr": list(token.amr),
            "acr": token.acr,
            "created_at": token.created_at,
            "idle_expires_at": token.idle_expires_at,
            "expires_at": token.expires_at,
            "access_token_jti": token.access_token_jti,
            "access_token_expires_at": token.access_token_expires_at,
        }

    def get(self, token_hash: str) -> RefreshToken | None:
        row = self.db.fetch_one(
            _LEAN_REFRESH_BY_HASH, {"p_tenant": self.tenant_id, "p_token_hash": token_hash}
        )
        return _refresh_token(row) if row else None

    def get_state(self, token_hash: str) -> RefreshTokenState | None:
        row = self.db.fetch_one(
            _LEAN_REFRESH_STATE, {"p_tenant": self.tenant_id, "p_token_hash": token_hash}
        )
        if row is None:
            return None
        family_revoked = bool(row["grant_revoked"])
        return RefreshTokenState(_refresh_token(row), _joined_user(row), family_revoked)

    def rotate(self, used_hash: str, successor: RefreshToken, now: int) -> bool:
        # The conditional UPDATE's row count says who won; only the winner's successor is
        # kept. PostgreSQL: one statement (the UPDATE in a CTE feeding the INSERT).
        params = {
            "p_tenant": self.tenant_id,
            "p_used_hash": used_hash,
            "p_now": now,
            **{f"p_{k}": v for k, v in self._values(successor).items()},
        }
        if not self.db.is_sqlite:
            return self.db.execute_count(_LEAN_PG_ROTATE_REFRESH, params) == 1
        # SQLite: a transaction around both statements would hold the database's write lock
        # while this thread waits for the GIL between them (measured: p99 doubled). So the
        # successor is stored first and the presented token marked used after, each
        # atomic by itself; the loser of a race deletes its successor, whose value nobody
        # ever saw. A crash between the two leaves the presented token usable, never spent
        # without a successor.
        self.db.execute_count(_LEAN_INSERT_REFRESH, params)
        if self.db.execute_count(_LEAN_MARK_REFRESH_USED, params) == 1:
            return True
        self.db.execute_count(_LEAN_DELETE_REFRESH, params)
        return False

    def extend_idle(
        self,
        token_hash: str,
        idle_expires_at: int,
        grant_id: str,
        access_token_jti: str,
        access_token_expires_at: int,
    ) -> None:
        rt = t.refresh_tokens
        with self.db.write() as conn:
            conn.execute(
                rt.update()
                .where(rt.c.tenant_id == self.tenant_id, rt.c.token_hash == token_hash)
                .values(idle_expires_at=idle_expires_at)
            )
            conn.execute(
                t.refreshed_access_tokens.insert().values(
                    tenant_id=self.tenant_id,
                    jti=access_token_jti,
                    grant_id=grant_id,
                    expires_at=access_token_expires_at,
                )
            )

    def revoke_for(self, user_id: str, client_id: str, now: int) -> int:
        """Revoke every refresh token of the user for the client, and every code not yet
        redeemed (consent withdrawn)."""
        rt = t.refresh_tokens
        with self.db.write() as conn:
            _revoke_grants_of(
                conn, self.tenant_id, "consent_revoked", now, user_id=user_id, client_id=client_id
            )
            result = conn.execute(
                rt.update()
                .where(
                    rt.c.tenant_id == self.tenant_id,
                    rt.c.user_id == user_id,
                    rt.c.client_id == client_id,
                    rt.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            return result.rowcount


def _revoke_grants_of(
    conn: sa.Connection, tenant_id: str, reason: str, now: int, **owner: str
) -> None:
    """Put on the revoked list every grant (token family) of ``owner`` (a user, or a user
    and a client) that still has a live refresh token or a code not yet redeemed.

    Revoking the rows alone leaves two gaps: a code already issued but not yet redeemed
    (it would still yield tokens, an offline refresh token among them), and on PostgreSQL
    a rotation committing while the revoking UPDATE runs, whose successor that UPDATE
    cannot see. The code grant and the refresh grant both refuse a grant on this list,
    and a successor belongs to the same grant as the token it replaced."""
    live = (
        (t.refresh_tokens, t.refresh_tokens.c.revoked_at.is_(None)),
        (t.authorization_codes, t.authorization_codes.c.used_at.is_(None)),
    )
    for table, alive in live:
        families = (
            sa.select(table.c.tenant_id, table.c.grant_id, sa.literal(reason), sa.literal(now))
            .where(
                table.c.tenant_id == tenant_id,
                alive,
                *(table.c[column] == value for column, value in owner.items()),
            )
            .distinct()
        )
        insert_ignoring_duplicates(
            conn,
            t.revoked_grants,
            select=families,
            columns=("tenant_id", "grant_id", "reason", "revoked_at"),
        )


class SqlRevocationRepository(_Repository):
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
            issued = [
                conn.execute(
                    sa.select(jti, expires_at).where(
                        table.c.tenant_id == self.tenant_id,
                        table.c.grant_id == grant_id,
                        jti.is_not(None),
                        expires_at > now,
                    )
                ).all()
                for table, jti, expires_at in (
                    (rt, rt.c.access_token_jti, rt.c.access_token_expires_at),
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
            ]
            for jti, expires_at in (row for rows in issued for row in rows):
                insert_ignoring_duplicates(
                    conn,
                    t.revoked_access_tokens,
                    tenant_id=self.tenant_id,
                    jti=jti,
                    expires_at=expires_at,
                )

    def deny_access_token(self, jti: str, expires_at: int) -> None:
        with self.db.write() as conn:
            insert_ignoring_duplicates(
                conn,
                t.revoked_access_tokens,
                tenant_id=self.tenant_id,
                jti=jti,
                expires_at=expires_at,
            )

    def is_access_token_denied(self, jti: str) -> bool:
        ra = t.revoked_access_tokens
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(ra.c.jti).where(ra.c.tenant_id == self.tenant_id, ra.c.jti == jti)
            ).first()
        return row is not None


class SqlApiRepository(_Repository):
    """APIs with their delegated scopes and application roles, and app-role grants.

    The catalogue (``list``) is read by every token request that names an API and the
    grants by every client_credentials request, so each process keeps them for a few seconds
    in the registry cache it shares with the client repository (storage/sql/cache.py)."""

    def __init__(self, database: Database, tenant_id: str, registry: RegistryCache) -> None:
        super().__init__(database, tenant_id)
        self._registry = registry

    def _load(self, conn: sa.Connection, rows: Sequence[Any]) -> list[Api]:
        if not rows:
            return []
        ap = t.api_permissions
        perms = conn.execute(
            sa.select(ap.c.api_identifier, ap.c.kind, ap.c.name, ap.c.description)
            .where(
                ap.c.tenant_id == self.tenant_id,
                ap.c.api_identifier.in_([r.identifier for r in rows]),
            )
            .order_by(ap.c.name)
        ).all()
        result = []
        for row in rows:
            mine = [p for p in perms if p.api_identifier == row.identifier]
            result.append(
                Api(
                    identifier=row.identifier,
                    name=row.name,
                    access_token_lifetime=row.access_token_lifetime,
                    signing_alg=row.signing_alg,
                    client_id=row.client_id,
                    scopes=tuple(
                        ApiPermission(p.name, p.description) for p in mine if p.kind == "scope"
                    ),
                    roles=tuple(
                        ApiPermission(p.name, p.description) for p in mine if p.kind == "role"
                    ),
                )
            )
        return result

    def get(self, identifier: str) -> Api | None:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.apis).where(
                    t.apis.c.tenant_id == self.tenant_id, t.apis.c.identifier == identifier
                )
            ).all()
            found = self._load(conn, rows)
        return found[0] if found else None

    def list(self) -> list[Api]:
        cached = self._registry.get(("apis",))
        if cached is not None:
            return list(cast(tuple[Api, ...], cached))
        generation = self._registry.generation()
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(t.apis)
                .where(t.apis.c.tenant_id == self.tenant_id)
                .order_by(t.apis.c.identifier)
            ).all()
            apis = self._load(conn, rows)
        self._registry.put(("apis",), tuple(apis), generation)
        return apis

    def save(
        self,
        values: dict[str, Any],
        scopes: list[ApiPermission] | None,
        roles: list[ApiPermission] | None,
    ) -> None:
        """Insert or update an API; given permission lists replace the stored ones."""
        apis, ap = t.apis, t.api_permissions
        identifier = values["identifier"]
        with self.db.write() as conn:
            where = (apis.c.tenant_id == self.tenant_id, apis.c.identifier == identifier)
            if conn.execute(sa.select(apis.c.identifier).where(*where)).first() is None:
                conn.execute(apis.insert().values(tenant_id=self.tenant_id, **values))
            else:
                conn.execute(
                    apis.update()
                    .where(*where)
                    .values(**{k: v for k, v in values.items() if k != "created_at"})
                )
            for kind, permissions in (("scope", scopes), ("role", roles)):
                if permissions is None:
                    continue
                conn.execute(
                    ap.delete().where(
                        ap.c.tenant_id == self.tenant_id,
                        ap.c.api_identifier == identifier,
                        ap.c.kind == kind,
                    )
                )
                for permission in permissions:
                    conn.execute(
                        ap.insert().values(
                            tenant_id=self.tenant_id,
                            api_identifier=identifier,
                            kind=kind,
                            name=permission.name,
                            description=permission.description,
                        )
                    )
        self._registry.invalidate()

    def delete(self, identifier: str) -> bool:
        with self.db.write() as conn:
            for table, column in (
                (t.api_permissions, t.api_permissions.c.api_identifier),
                (t.client_app_roles, t.client_app_roles.c.api_identifier),
            ):
                conn.execute(
                    table.delete().where(table.c.tenant_id == self.tenant_id, column == identifier)
                )
            result = conn.execute(
                t.apis.delete().where(
                    t.apis.c.tenant_id == self.tenant_id, t.apis.c.identifier == identifier
                )
            )
        self._registry.invalidate()
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

    def role_grants(self, client_id: str | None = None) -> list[tuple[str, str, str]]:
        """(client_id, api_identifier, role) for every grant, or one client's."""
        car = t.client_app_roles
        query = sa.select(car.c.client_id, car.c.api_identifier, car.c.role).where(
            car.c.tenant_id == self.tenant_id
        )
        if client_id is not None:
            query = query.where(car.c.client_id == client_id)
        with self.db.read() as conn:
            return [
                (r.client_id, r.api_identifier, r.role)
                for r in conn.execute(
                    query.order_by(car.c.client_id, car.c.api_identifier, car.c.role)
                )
            ]

    def grant_role(self, client_id: str, api_identifier: str, role: str, now: int) -> None:
        with self.db.write() as conn:
            insert_ignoring_duplicates(
                conn,
                t.client_app_roles,
                tenant_id=self.tenant_id,
                client_id=client_id,
                api_identifier=api_identifier,
                role=role,
                granted_at=now,
            )
        self._registry.invalidate()

    def revoke_role(self, client_id: str, api_identifier: str, role: str) -> bool:
        car = t.client_app_roles
        with self.db.write() as conn:
            result = conn.execute(
                car.delete().where(
                    car.c.tenant_id == self.tenant_id,
                    car.c.client_id == client_id,
                    car.c.api_identifier == api_identifier,
                    car.c.role == role,
                )
            )
        self._registry.invalidate()
        return result.rowcount == 1


class SqlClientAssertionRepository(_Repository):
    def record_jti(self, client_id: str, jti: str, expires_at: int, now: int) -> bool:
        """RFC 7523 §3 item 7: True the first time a (client, jti) is seen; False on replay.
        Expired entries are pruned on the way."""
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


class SqlStore:
    """Every repository of one tenant, over one database."""

    def __init__(
        self,
        database: Database,
        tenant_id: str = "default",
        cache_clock: Callable[[], float] | None = None,
    ) -> None:
        self.database = database
        self.tenant_id = tenant_id
        # Client registrations, the API catalogue and app-role grants: what every token
        # request reads and administrators rarely change (storage/sql/cache.py).
        registry: RegistryCache = ProcessCache(clock=cache_clock) if cache_clock else ProcessCache()
        self.clients = SqlClientRepository(database, tenant_id, registry)
        self.users = SqlUserRepository(database, tenant_id)
        self.scopes = SqlScopeRepository(database, tenant_id)
        self.sessions = SqlSessionRepository(database, tenant_id)
        self.consents = SqlConsentRepository(database, tenant_id)
        self.interactions = SqlInteractionRepository(database, tenant_id)
        self.codes = SqlAuthorizationCodeRepository(database, tenant_id)
        self.refresh_tokens = SqlRefreshTokenRepository(database, tenant_id)
        self.revocations = SqlRevocationRepository(database, tenant_id)
        self.apis = SqlApiRepository(database, tenant_id, registry)
        self.client_assertions = SqlClientAssertionRepository(database, tenant_id)
