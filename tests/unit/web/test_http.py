"""web/http.py read_body: the ASGI body messages, bounded, joined in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from gatehouse.errors import InvalidRequest
from gatehouse.protocol.messages import MAX_BODY_BYTES
from gatehouse.web.http import read_body


def request_receiving(*messages: dict[str, Any]) -> Request:
    pending = list(messages)

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    scope = {"type": "http", "method": "POST", "path": "/token", "headers": []}
    return Request(scope, receive)


def test_a_body_in_several_messages_is_joined_in_order() -> None:
    request = request_receiving(
        {"type": "http.request", "body": b"grant_type=", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"client_credentials", "more_body": False},
    )
    assert asyncio.run(read_body(request)) == b"grant_type=client_credentials"


def test_a_request_without_a_body_has_an_empty_one() -> None:
    request = request_receiving({"type": "http.request"})
    assert asyncio.run(read_body(request)) == b""


def test_a_client_that_goes_away_before_the_body_ended_made_a_bad_request() -> None:
    request = request_receiving(
        {"type": "http.request", "body": b"grant_type=", "more_body": True},
        {"type": "http.disconnect"},
    )
    with pytest.raises(InvalidRequest, match="closed before the request body ended"):
        asyncio.run(read_body(request))


def test_a_body_too_large_is_refused_without_waiting_for_the_rest() -> None:
    half = b"x" * (MAX_BODY_BYTES // 2 + 1)
    request = request_receiving(
        {"type": "http.request", "body": half, "more_body": True},
        {"type": "http.request", "body": half, "more_body": True},
        # Never received: the body was refused once it grew past the limit.
    )
    with pytest.raises(InvalidRequest, match="too large"):
        asyncio.run(read_body(request))
