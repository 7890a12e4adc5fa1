"""Security headers on every response, and gatehouse's own access log (path only: query
strings can carry codes and state)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.observability.access_log import AccessLog

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def policy_with_frames(origins: list[str], policy: str = CONTENT_SECURITY_POLICY) -> str:
    """The policy of a page that frames ``origins`` (the signed-out page loads the clients'
    front-channel logout URIs, Front-Channel Logout 1.0 §2). The origins come from
    registered URIs whose host and port were checked at registration
    (protocol/redirect_uris.py ``server_url_problem``), so none can end the directive."""
    sources = " ".join(dict.fromkeys(origins))
    return f"{policy}; frame-src {sources}" if sources else policy


def policy_with_image_origin(origin: str | None) -> str:
    """The policy of a tenant whose logo is served from ``origin`` (tenancy.py
    ``logo_origin``: https, a plain host and port, nothing that could end the directive);
    only img-src grows."""
    if origin is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


# No form-action: Chromium applies it to the redirect that follows a login or consent POST,
# which goes to the client's own origin.

CSP_HEADER = b"content-security-policy"
STATIC_HEADERS = [
    (CSP_HEADER, CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    def __init__(
        self,
        app: ASGIApp,
        *,
        https: bool,
        access_log: AccessLog,
        content_security_policy: str = CONTENT_SECURITY_POLICY,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.headers = [
            (name, content_security_policy.encode() if name == CSP_HEADER else value)
            for name, value in STATIC_HEADERS
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in existing]
                if b"cache-control" not in existing:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.access_log.request(
                scope["method"], scope["path"], status, time.perf_counter() - started
            )
