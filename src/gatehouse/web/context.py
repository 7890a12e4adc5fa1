"""What every adapter needs, kept on ``app.state.gatehouse``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.csrf import csrf_token, set_csrf_cookie
from gatehouse.web.http import NO_STORE

TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "gh_session"


@dataclass
class WebContext:
    runtime: Runtime
    templates: Environment
    allowed_origins: AllowedOrigins
    secure_cookies: bool

    @property
    def provider(self) -> Provider:
        return self.runtime.provider

    def render(
        self, request: Request, template: str, status: int = 200, **values: Any
    ) -> HTMLResponse:
        values.setdefault("csrf_token", csrf_token(request))
        values.setdefault("issuer", self.runtime.provider.config.issuer)
        html = self.templates.get_template(template).render(**values)
        response = HTMLResponse(html, status_code=status, headers=NO_STORE)
        set_csrf_cookie(request, response, secure=self.secure_cookies)
        return response


def make_templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        # HTML escaped; the plain-text parts of email (email/*.txt) not.
        autoescape=select_autoescape(("html",)),
        auto_reload=False,
    )


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.gatehouse
    return ctx
