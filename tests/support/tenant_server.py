"""A tenant of a running server (tests/support/live_server.py), seen as a server of its own:
its issuer is the tenant's, and the commands run through it provision the tenant."""

from __future__ import annotations

import dataclasses
import time

from tests.support.live_server import LiveServer, _answers


def tenant_of(
    server: LiveServer, name: str, *settings: str, policy: tuple[str, ...] = ()
) -> LiveServer:
    """Create tenant ``name`` (``settings``: its KEY=VALUE settings; ``policy``: KEY=VALUE
    rules of its policy, set before the server first serves it) on ``server``; the server as
    that tenant's clients and its operator see it. Stop the server, not this."""
    args = [arg for setting in settings for arg in ("--set", setting)]
    server.cli("tenant", "create", name, *args)
    if policy:
        server.cli("--tenant", name, "policy", "set", *policy)
    # The server sees a tenant created by another process within a second
    # (runtime.py UNKNOWN_TENANT_RELOAD).
    discovery = f"/t/{name}/.well-known/openid-configuration"
    deadline = time.monotonic() + 10
    while not _answers(server.port, discovery):
        assert time.monotonic() < deadline, f"tenant {name} is not served"
        time.sleep(0.1)
    return dataclasses.replace(
        server,
        base_url=f"{server.base_url}/t/{name}",
        env={**server.env, "GATEHOUSE_TENANT": name},
    )
