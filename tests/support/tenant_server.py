"""A tenant of a running server (tests/support/live_server.py), seen as a server of its own:
its issuer is the tenant's, and the commands run through it provision the tenant."""

from __future__ import annotations

import dataclasses

from tests.support.live_server import LiveServer


def tenant_of(server: LiveServer, name: str, *settings: str) -> LiveServer:
    """Create tenant ``name`` (``settings``: its KEY=VALUE settings) on ``server``; the
    server as that tenant's clients and its operator see it. Stop the server, not this."""
    args = [arg for setting in settings for arg in ("--set", setting)]
    server.cli("tenant", "create", name, *args)
    return dataclasses.replace(
        server,
        base_url=f"{server.base_url}/t/{name}",
        env={**server.env, "GATEHOUSE_TENANT": name},
    )
