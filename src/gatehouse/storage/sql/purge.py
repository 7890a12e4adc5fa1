"""Deleting rows that can no longer matter: expired codes, sessions, interactions, refresh
tokens, deny-list entries and passkey challenges. Nothing here decides whether a token
works; the lookups check every expiry themselves. Without it, a busy server's tables grow
by every code and token it ever issued.

Each rule keeps a row for as long as it can still change an answer:

- an authorization code until a day after it expired, so that a late second redemption is
  still recognised as a replay and revokes what the first one issued (RFC 6749 §4.1.2);
- a refresh token until its absolute expiry, which every token of its family shares: until
  then a used one presented again is reuse, and revokes the family (RFC 9700 §4.14.2);
- a grant's revocation marker until no code or refresh token of that grant is left;
- a deny-listed access token until it would have expired anyway;
- a failed-attempt counter until its lock is over and a whole lockout duration has passed
  since its last failure (its ``expires_at``); a known browser until its cookie expires;
- a device authorization request (RFC 8628) a day after it expired, so that a late poll is
  told expired_token rather than that the code never existed;
- a DPoP proof's jti until the proof is too old to be accepted anyway (RFC 9449 §11.1);
- a passkey challenge until it expires (spent or not: a spent one is refused either way);
- a TOTP enrolment never confirmed by a first code, for a day;
- an audit event for the retention the operator chose (``audit_retention``; 0: for ever);
- the record of which clients took part in an SSO session as long as the session's row;
- a back-channel logout until it was delivered or abandoned (the queue keeps pending ones
  whatever their age: the delivery worker gives up on them in bounded time);
- an emailed link's token for a week after it expired, so that a late click is told the link
  expired or was used rather than that it never existed;
- a queued email a day after it was sent or given up (its content goes at once), and any
  after a week; an email request once it no longer counts towards a limit (a day).

Rows go in batches of ``BATCH`` per transaction, so the purge never holds SQLite's write lock
(or PostgreSQL row locks) for long while requests are served.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.sessions import idle_since

BATCH = 1000
CODE_REPLAY_WINDOW = 24 * 3600  # seconds a used or expired code is kept after its expiry
UNCONFIRMED_TOTP_LIFETIME = 24 * 3600  # an enrolment never confirmed by a first code
DAY, WEEK = 24 * 3600, 7 * 24 * 3600


def _rules(
    now: int, idle_seconds: int, audit_retention: int
) -> list[tuple[str, sa.Table, sa.ColumnElement[bool]]]:
    codes, sessions, refresh = t.authorization_codes, t.sso_sessions, t.refresh_tokens
    audit: list[tuple[str, sa.Table, sa.ColumnElement[bool]]] = []
    if audit_retention > 0:
        events = t.audit_events
        audit.append(("audit_events", events, events.c.occurred_at < now - audit_retention))
    return [
        *audit,
        ("authorization_codes", codes, codes.c.expires_at < now - CODE_REPLAY_WINDOW),
        (
            "sso_sessions",
            sessions,
            sa.or_(
                sessions.c.ended_at.is_not(None),
                sessions.c.expires_at <= now,
                idle_since(now, idle_seconds),
            ),
        ),
        ("interactions", t.interactions, t.interactions.c.expires_at <= now),
        (
            "device_authorizations",
            t.device_authorizations,
            t.device_authorizations.c.expires_at < now - DAY,
        ),
        (
            "totp_authenticators",
            t.totp_authenticators,
            sa.and_(
                t.totp_authenticators.c.confirmed_at.is_(None),
                t.totp_authenticators.c.created_at <= now - UNCONFIRMED_TOTP_LIFETIME,
            ),
        ),
        ("refresh_tokens", refresh, refresh.c.expires_at <= now),
        (
            "refreshed_access_tokens",
            t.refreshed_access_tokens,
            t.refreshed_access_tokens.c.expires_at <= now,
        ),
        (
            "revoked_access_tokens",
            t.revoked_access_tokens,
            t.revoked_access_tokens.c.expires_at <= now,
        ),
        (
            "passkey_challenges",
            t.passkey_challenges,
            t.passkey_challenges.c.expires_at <= now,
        ),
        (
            "used_client_assertions",
            t.used_client_assertions,
            t.used_client_assertions.c.expires_at < now,
        ),
        ("used_dpop_proofs", t.used_dpop_proofs, t.used_dpop_proofs.c.expires_at < now),
        (
            "backchannel_logouts",
            t.backchannel_logouts,
            sa.or_(
                t.backchannel_logouts.c.delivered_at.is_not(None),
                t.backchannel_logouts.c.abandoned_at.is_not(None),
            ),
        ),
        ("failed_attempts", t.failed_attempts, t.failed_attempts.c.expires_at <= now),
        ("known_browsers", t.known_browsers, t.known_browsers.c.expires_at <= now),
        (
            "pushed_authorization_requests",
            t.pushed_authorization_requests,
            t.pushed_authorization_requests.c.expires_at <= now,
        ),
        ("federation_states", t.federation_states, t.federation_states.c.expires_at <= now),
        ("federated_sessions", t.federated_sessions, t.federated_sessions.c.expires_at <= now),
        *_self_service_rules(now),
    ]


def _self_service_rules(now: int) -> list[tuple[str, sa.Table, sa.ColumnElement[bool]]]:
    tokens, mail, requests = t.email_tokens, t.outgoing_mail, t.email_requests
    return [
        ("email_tokens", tokens, tokens.c.expires_at < now - WEEK),
        (
            "outgoing_mail",
            mail,
            sa.or_(
                mail.c.sent_at < now - DAY,
                mail.c.failed_at < now - DAY,
                mail.c.created_at < now - WEEK,
            ),
        ),
        ("email_requests", requests, requests.c.requested_at < now - DAY),
    ]


def _orphaned_session_clients() -> sa.ColumnElement[bool]:
    sc, sessions = t.session_clients, t.sso_sessions
    return ~sa.exists().where(sessions.c.tenant_id == sc.c.tenant_id, sessions.c.sid == sc.c.sid)


def _orphaned_grant_markers() -> sa.ColumnElement[bool]:
    rg = t.revoked_grants
    return sa.and_(
        ~sa.exists().where(
            t.refresh_tokens.c.tenant_id == rg.c.tenant_id,
            t.refresh_tokens.c.grant_id == rg.c.grant_id,
        ),
        ~sa.exists().where(
            t.authorization_codes.c.tenant_id == rg.c.tenant_id,
            t.authorization_codes.c.grant_id == rg.c.grant_id,
        ),
    )


def _never() -> bool:
    return False


def purge_expired(
    database: Database,
    now: int,
    idle_seconds: int,
    *,
    audit_retention: int = 0,
    should_stop: Callable[[], bool] = _never,
) -> dict[str, int]:
    """Delete what can no longer matter (see the module docstring), in every tenant; how many
    rows went from each table. ``idle_seconds`` is the SSO session idle lifetime of the
    settings, for sessions that did not record their own; ``audit_retention`` how long
    audit events are kept (0: for ever). ``should_stop`` is asked between batches (a server
    shutting down)."""
    deleted: dict[str, int] = {}
    rules = [
        *_rules(now, idle_seconds, audit_retention),
        ("revoked_grants", t.revoked_grants, _orphaned_grant_markers()),
        ("session_clients", t.session_clients, _orphaned_session_clients()),
    ]
    for name, table, expired in rules:
        deleted[name] = 0
        key = list(table.primary_key.columns)
        while not should_stop():
            batch = sa.select(*key).where(expired).limit(BATCH)
            with database.write() as conn:
                if len(key) == 1:
                    result = conn.execute(table.delete().where(key[0].in_(batch.scalar_subquery())))
                else:
                    result = conn.execute(table.delete().where(sa.tuple_(*key).in_(batch)))
            deleted[name] += result.rowcount
            if result.rowcount < BATCH:
                break
    return deleted
