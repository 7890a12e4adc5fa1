"""`gatehouse serve` deletes expired rows by itself, every GATEHOUSE_PURGE_INTERVAL."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.database import Database
from tests.conftest import TEST_SECRET_KEY
from tests.support.live_server import start_server


def test_serve_purges_expired_rows_on_its_own(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    try:
        with database.write() as conn:
            conn.execute(
                t.interactions.insert().values(
                    tenant_id="default",
                    id_hash="e" * 64,
                    client_id="gone",
                    request={},
                    created_at=1,
                    expires_at=2,
                    consent_given=False,
                )
            )
        server = start_server(
            database_url,
            tmp_path / "server",
            secret_key=TEST_SECRET_KEY,
            settings={"GATEHOUSE_PURGE_INTERVAL": "1"},
        )
        try:
            deadline = time.monotonic() + 30  # bounds a failure; asserts no speed
            remaining = 1
            while remaining and time.monotonic() < deadline:
                time.sleep(0.2)
                with database.read() as conn:
                    remaining = conn.execute(
                        sa.select(sa.func.count()).select_from(t.interactions)
                    ).scalar_one()
            assert remaining == 0, server.log()[-3000:]
            assert "purged 1 interactions" in server.log()
        finally:
            server.stop()
    finally:
        database.dispose()
