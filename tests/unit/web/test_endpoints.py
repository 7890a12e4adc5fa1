"""web.endpoints: which token requests are tried on the event loop (web/threads.py)."""

from __future__ import annotations

import pytest

from gatehouse.protocol.messages import Parameters
from gatehouse.web.endpoints import _may_run_on_the_event_loop


@pytest.mark.parametrize(
    ("params", "embedded", "inline"),
    [
        ({"grant_type": "client_credentials"}, False, True),
        ({"grant_type": "authorization_code"}, False, False),
        ({"grant_type": "authorization_code"}, True, True),
        ({"grant_type": "client_credentials", "client_assertion": "x"}, True, False),
        # A password hash would hold up every request of the process, even on SQLite.
        ({"grant_type": "password"}, True, False),
        ({"grant_type": "password"}, False, False),
    ],
)
def test_which_requests_may_run_on_the_event_loop(
    params: dict[str, str], embedded: bool, inline: bool
) -> None:
    assert _may_run_on_the_event_loop(Parameters(params), embedded) is inline
