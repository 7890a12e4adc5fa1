"""gatehouse.rs stands alone: importing it loads no server module, no database layer and,
until the Starlette integration is asked for, no Starlette."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_SIDE = (
    "gatehouse.protocol", "gatehouse.storage", "gatehouse.web", "gatehouse.keys",
    "gatehouse.tokens", "gatehouse.accounts", "gatehouse.admin", "gatehouse.settings",
    "gatehouse.runtime", "sqlalchemy", "jinja2",
)  # fmt: skip

PROBE = """
import json, sys
import gatehouse.rs, gatehouse.rs.asgi, gatehouse.rs.validator
watched = ("gatehouse", "starlette", "sqlalchemy", "jinja2")
before = sorted(m for m in sys.modules if m.startswith(watched))
from gatehouse.rs import RequireToken
after = "starlette" in sys.modules and RequireToken.__module__
print(json.dumps({"before": before, "after": after}))
"""


def test_importing_gatehouse_rs_loads_nothing_from_the_server() -> None:
    output = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, check=True, timeout=60
    ).stdout
    loaded = json.loads(output)
    assert not [m for m in loaded["before"] if m.startswith(SERVER_SIDE)], loaded["before"]
    assert not [m for m in loaded["before"] if m.startswith("starlette")], loaded["before"]
    assert loaded["after"] == "gatehouse.rs.starlette"  # lazily, on first use
