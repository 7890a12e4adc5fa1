"""A user and a client for the storage tests."""

from __future__ import annotations

import pytest

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user


@pytest.fixture
def alice(runtime: Runtime) -> str:
    return str(make_user(runtime, "alice")["id"])


@pytest.fixture
def web(runtime: Runtime) -> str:
    return str(make_client(runtime, "web")["client_id"])
