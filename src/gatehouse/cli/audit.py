"""`gatehouse audit`: the audit log."""

from __future__ import annotations

import click

from gatehouse.admin import audit as audit_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def audit() -> None:
    """The audit log: sign-ins, lockouts, consents, sign-outs, revocations, admin changes."""


@audit.command("list")
@click.option("--user", "user_ref", help="id, username or email")
@click.option("--client", "client_id", help="client_id")
@click.option(
    "--type",
    "types",
    multiple=True,
    help="an event type (signin.failed) or family (signin); repeat for several",
)
@click.option("--since", help="from this time: 24h, 7d, or ISO 8601 (2026-12-01T08:00Z)")
@click.option("--until", help="before this time, same forms as --since")
@click.option("--before", "before_id", type=int, help="only events older than this id (paging)")
@click.option("--limit", type=int, default=100, show_default=True)
@database_option
def audit_list(
    runtime: Runtime,
    user_ref: str | None,
    client_id: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    before_id: int | None,
    limit: int,
) -> None:
    """Events matching every filter given, newest first, as JSON."""
    emit(
        audit_admin.list_events(
            runtime,
            user_ref=user_ref,
            client_id=client_id,
            types=types,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit,
        )
    )
