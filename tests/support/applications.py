"""An application of its own for each test of an end-to-end module that shares one
deployment (tests/e2e/conftest.py ``module_server``): a client and the loopback site of its
redirect URI, all provisioned with the module's people in one ``gatehouse apply`` (every
command is a process). A consent one test stores is then never another's, and a test sees
only its own site's requests."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.browser import LoopbackSite
from tests.support.live_server import LiveServer

PASSWORD = "correct horse battery staple"
# The person the modules' tests sign in as.
ALICE = {
    "username": "alice",
    "password": PASSWORD,
    "email": "alice@example.com",
    "name": "Alice Liddell",
}


@dataclass
class Application:
    """A registered client (its client_id and client_secret) and its redirect URI's site."""

    client: dict[str, str]
    callback: LoopbackSite

    @property
    def redirect_uri(self) -> str:
        return self.callback.url("/callback")


@dataclass
class ApplicationDeployment:
    """The module's server and its applications not yet handed to a test."""

    server: LiveServer
    unused: Iterator[Application]


def module_test_names(module: ModuleType) -> list[str]:
    """The names of ``module``'s test functions, for a person or client of each's own."""
    return [name for name in vars(module) if name.startswith("test_")]


def module_test_count(request: pytest.FixtureRequest) -> int:
    """How many tests the requesting module has, counted on every backend: more
    applications than one backend's tests take, never fewer (a pytest-xdist worker collects
    every test too)."""
    return sum(1 for item in request.session.items if item.module is request.module)


def provision_applications(
    request: pytest.FixtureRequest,
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    directory: Path,
    *,
    people: list[dict[str, Any]],
    **client_fields: Any,
) -> Iterator[Application]:
    """``people`` and an application per test of the module (``client_fields``: the apply
    file's fields every client has), in one ``gatehouse apply``; the applications, to be
    handed out one per test."""
    applications = [
        Application(
            {"client_id": f"web-{n}", "client_secret": secrets.token_urlsafe(32)},
            loopback_site(),
        )
        for n in range(1, module_test_count(request) + 1)
    ]
    clients = [
        {
            "client_id": app.client["client_id"],
            "secret": app.client["client_secret"],
            "name": f"{app.client['client_id']} app",
            "redirect_uris": [app.redirect_uri],
            **client_fields,
        }
        for app in applications
    ]
    path = directory / "deployment.yaml"
    path.write_text(json.dumps({"clients": clients, "users": people}))  # JSON is YAML
    server.cli("apply", str(path))
    return iter(applications)
