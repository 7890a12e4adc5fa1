"""Ending SSO sessions, the one way every sign-out does it (``SessionRepository.
end_sessions``). In one transaction the sessions end (and with them the refresh tokens
bound to them), the codes issued within them and not yet redeemed are revoked, and a
back-channel logout is queued for every client that took part and registered a
``backchannel_logout_uri`` (OIDC Back-Channel Logout 1.0 §2.5), and a ``session.ended``
audit event is recorded per session. Queued in the same transaction, a logout is never lost
between the sign-out and its delivery, and never sent (or recorded) for a sign-out that
rolled back."""

from __future__ import annotations

import uuid
from collections import defaultdict

import sqlalchemy as sa

from gatehouse.observability.audit import Actor
from gatehouse.storage.records import AuditEvent, EndedSession, SessionSelector
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.audit import EVENT
from gatehouse.storage.sql.revocations import (
    UNREDEEMED_CODES,
    revoke_grants_of,
    revoke_grants_where,
)


def _selected(tenant_id: str, which: SessionSelector, now: int) -> list[sa.ColumnElement[bool]]:
    s = t.sso_sessions
    chosen: list[sa.ColumnElement[bool]] = []
    if which.id_hash is not None:
        chosen.append(s.c.id_hash == which.id_hash)
    if which.sid is not None:
        chosen.append(s.c.sid == which.sid)
    if which.user_id is not None:
        chosen.append(s.c.user_id == which.user_id)
    if which.except_sid is not None:
        chosen.append(s.c.sid != which.except_sid)
    # A session past its absolute expiry ended by itself; its clients are not told again.
    return [s.c.tenant_id == tenant_id, *chosen, s.c.ended_at.is_(None), s.c.expires_at > now]


def _end_each(
    conn: sa.Connection, tenant_id: str, rows: list[tuple[str, str]], now: int
) -> list[tuple[str, str]]:
    """End each session with one conditional UPDATE: of two sign-outs racing for one session,
    only the one that ended it goes on to tell its clients."""
    s = t.sso_sessions
    ended = []
    for sid, user_id in rows:
        result = conn.execute(
            s.update()
            .where(s.c.tenant_id == tenant_id, s.c.sid == sid, s.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        if result.rowcount == 1:
            ended.append((sid, user_id))
    return ended


def _participants(
    conn: sa.Connection, tenant_id: str, sids: list[str]
) -> dict[str, list[tuple[str, bool]]]:
    """sid -> [(client_id, registered a back-channel logout URI)] of the clients that took
    part in each session, by client_id."""
    sc, c = t.session_clients, t.clients
    rows = conn.execute(
        sa.select(sc.c.sid, sc.c.client_id, c.c.backchannel_logout_uri.is_not(None))
        .select_from(
            sc.join(c, sa.and_(c.c.tenant_id == sc.c.tenant_id, c.c.client_id == sc.c.client_id))
        )
        .where(sc.c.tenant_id == tenant_id, sc.c.sid.in_(sids))
        .order_by(sc.c.sid, sc.c.client_id)
    ).all()
    found: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for sid, client_id, backchannel in rows:
        found[sid].append((client_id, bool(backchannel)))
    return found


def _revoke(
    conn: sa.Connection,
    tenant_id: str,
    which: SessionSelector,
    sids: list[str],
    reason: str,
    now: int,
) -> None:
    """With ``every_grant``, every grant of the user: its refresh tokens, offline ones
    included, and codes not yet redeemed. Otherwise the codes issued within the ended
    sessions and not yet redeemed, which would still yield tokens; their refresh tokens
    need nothing more: a session-bound refresh token works only while its session lives
    (protocol/liveness.py)."""
    if which.every_grant:
        assert which.user_id is not None  # SessionSelector checks it
        revoke_grants_of(conn, tenant_id, reason, now, user_id=which.user_id)
        rt = t.refresh_tokens
        conn.execute(
            rt.update()
            .where(
                rt.c.tenant_id == tenant_id,
                rt.c.user_id == which.user_id,
                rt.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    elif sids:
        revoke_grants_where(
            conn, tenant_id, reason, now, lambda table: table.c.sid.in_(sids), (UNREDEEMED_CODES,)
        )


def end_sessions(
    conn: sa.Connection,
    tenant_id: str,
    which: SessionSelector,
    now: int,
    reason: str,
    actor: Actor,
) -> list[EndedSession]:
    """End the live sessions ``which`` selects, revoke their grants, queue their back-channel
    logouts; what ended. Runs inside the caller's write transaction."""
    s = t.sso_sessions
    rows = conn.execute(
        sa.select(s.c.sid, s.c.user_id).where(*_selected(tenant_id, which, now)).order_by(s.c.sid)
    ).all()
    ended = _end_each(conn, tenant_id, [(r.sid, r.user_id) for r in rows], now)
    sids = [sid for sid, _ in ended]
    _revoke(conn, tenant_id, which, sids, reason, now)
    participants = _participants(conn, tenant_id, sids) if sids else {}
    queued = [
        {
            "tenant_id": tenant_id,
            "id": str(uuid.uuid4()),
            "client_id": client_id,
            "user_id": user_id,
            "sid": sid,
            "created_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for sid, user_id in ended
        for client_id, backchannel in participants.get(sid, [])
        if backchannel
    ]
    if queued:
        conn.execute(t.backchannel_logouts.insert(), queued)
    sessions = [
        EndedSession(
            sid=sid,
            user_id=user_id,
            client_ids=tuple(c for c, _ in participants.get(sid, [])),
            backchannel_client_ids=tuple(c for c, b in participants.get(sid, []) if b),
        )
        for sid, user_id in ended
    ]
    if sessions:
        conn.execute(
            t.audit_events.insert(),
            [_ended_event(tenant_id, s, now, reason, actor) for s in sessions],
        )
    return sessions


def _ended_event(
    tenant_id: str, session: EndedSession, now: int, reason: str, actor: Actor
) -> dict[str, object]:
    event = AuditEvent(
        type="session.ended",
        occurred_at=now,
        actor=actor,
        user_id=session.user_id,
        details={
            "sid": session.sid,
            "reason": reason,
            "clients": list(session.client_ids),
            "backchannel_logouts": list(session.backchannel_client_ids),
        },
    )
    values = EVENT.values(event, tenant_id=tenant_id)
    del values["id"]  # the database numbers events
    return values
