"""What the self-service HTTP tests share: a server whose email goes to a loopback SMTP
server, with the switches on, and the steps of each form."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from httpx import Response
from starlette.testclient import TestClient

from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.conftest import test_settings
from tests.support.flow import csrf_from
from tests.support.smtp import Mailbox

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: Mailbox) -> Settings:
    return test_settings(database_url, tmp_path, **smtp.settings())


@pytest.fixture
def switched_on(runtime: Runtime) -> Runtime:
    runtime.store.policy.update(TenantPolicy(self_service_registration=True, password_reset=True))
    return runtime


def deliver(runtime: Runtime) -> int:
    """One round of the mail worker (cli/server.py runs it in a thread)."""
    delivery = runtime.mail_delivery()
    assert delivery is not None
    return delivery.deliver_due()


def local(link: str) -> str:
    """A link from an email as the test client requests it (path and query)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def submit(http: TestClient, page: str, action: str, **fields: str) -> Response:
    form = http.get(page)
    assert form.status_code == 200, form.text
    return http.post(action, data={"csrf_token": csrf_from(form.text), **fields})


def register(http: TestClient, **overrides: str) -> Response:
    fields: dict[str, Any] = {
        "username": "carol",
        "email": "carol@example.com",
        "name": "Carol Danvers",
        "password": "carol's long passphrase",
    }
    fields.update(overrides)
    return submit(http, "/register", "/register", **fields)


def only_message(mailbox: Mailbox, address: str) -> EmailMessage:
    messages = mailbox.to(address)
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]
