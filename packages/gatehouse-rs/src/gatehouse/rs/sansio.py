"""The I/O a validation needs, as data: one implementation, two thin drivers.

Validation logic is written once, as generator *plans* that ``yield`` an :class:`HttpRequest`
whenever they need the network and receive an :class:`HttpResponse` back (or have a
:class:`FetchError` thrown in). :func:`run_sync` drives a plan with a blocking fetch function,
:func:`run_async` with an awaitable one; neither knows anything about tokens or keys.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request a plan needs answered."""

    method: Literal["GET", "POST"]
    url: str
    form: tuple[tuple[str, str], ...] = ()
    #: client_secret_basic credentials (RFC 6749 §2.3.1), for the introspection endpoint.
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    #: (channel, generation): concurrent requests with the same flight share one HTTP exchange
    #: and one answer (the same object), so a burst of callers costs the issuer one request.
    flight: tuple[str, int] | None = None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A complete, size-limited response body."""

    status: int
    body: bytes
    url: str

    def json_object(self) -> dict[str, Any]:
        """The body of a 200 answer as a JSON object, or FetchError."""
        if self.status != 200:
            raise FetchError(f"{self.url} answered HTTP {self.status}")
        try:
            document = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise FetchError(f"{self.url} did not answer JSON") from None
        if not isinstance(document, dict):
            raise FetchError(f"{self.url} did not answer a JSON object")
        return document


class FetchError(Exception):
    """The request failed: refused, timed out, too large, or an unusable answer."""


Plan = Generator[HttpRequest, HttpResponse, T]


def run_sync(plan: Plan[T], fetch: Callable[[HttpRequest], HttpResponse]) -> T:
    """Drive ``plan`` to completion with a blocking ``fetch``."""
    try:
        request = next(plan)
        while True:
            try:
                response = fetch(request)
            except FetchError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        plan.close()


async def run_async(plan: Plan[T], fetch: Callable[[HttpRequest], Awaitable[HttpResponse]]) -> T:
    """Drive ``plan`` to completion with an awaitable ``fetch``. Plans do only CPU work between
    requests (a signature check is tens of microseconds), so they run inline on the loop."""
    try:
        request = next(plan)
        while True:
            try:
                response = await fetch(request)
            except FetchError as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        plan.close()
