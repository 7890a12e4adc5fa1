"""What every adapter needs, kept on ``app.state.gatehouse``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.csrf import csrf_token, set_csrf_cookie
from gatehouse.web.http import NO_STORE

TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "gh_session"
# Marks a browser a person has signed in from (accounts/known_browsers.py).
DEVICE_COOKIE = "gh_device"


@dataclass
class WebContext:
    runtime: Runtime
    templates: Environment
    allowed_origins: AllowedOrigins
    secure_cookies: bool

    @property
    def provider(self) -> Provider:
        return self.runtime.provider

    def set_session_cookie(self, response: Response, value: str, max_age: int | None) -> None:
        """The SSO session's cookie: HttpOnly, SameSite=Lax, Secure under https. Without
        ``max_age`` (no "Remember me") a browser-session cookie: closing the browser signs
        the person out; with it, the cookie lives as long as the session may."""
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path="/",
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure_cookies
        )

    def render(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        values.setdefault("csrf_token", csrf_token(request))
        values.setdefault("issuer", self.runtime.provider.config.issuer)
        html = self.templates.get_template(template).render(**values)
        response = HTMLResponse(html, status_code=status, headers=NO_STORE)
        set_csrf_cookie(request, response, secure=self.secure_cookies)
        return response


def _utc_time(seconds: int) -> str:
    """A Unix time as people read it on a page: ``2026-01-05 14:03 UTC``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def make_templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        # HTML escaped; the plain-text parts of email (email/*.txt) not.
        autoescape=select_autoescape(("html",)),
        auto_reload=False,
    )
    environment.filters["utc_time"] = _utc_time
    return environment


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.gatehouse
    return ctx
