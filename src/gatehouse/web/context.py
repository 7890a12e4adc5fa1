"""What every adapter needs, kept on ``app.state.gatehouse``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import InternationalizationExtension
from starlette.requests import Request
from starlette.responses import HTMLResponse

from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.csrf import csrf_token, set_csrf_cookie
from gatehouse.web.http import NO_STORE
from gatehouse.web.i18n import Languages, page_gettext, page_ngettext

TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "gh_session"


@dataclass
class WebContext:
    runtime: Runtime
    templates: Environment
    languages: Languages
    allowed_origins: AllowedOrigins
    secure_cookies: bool

    @property
    def provider(self) -> Provider:
        return self.runtime.provider

    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        *,
        ui_locales: Sequence[str] = (),
        **values: Any,
    ) -> HTMLResponse:
        """``template`` in the language chosen from ``ui_locales`` (the paused request's,
        when the page has one) and the browser's Accept-Language (web/i18n.py)."""
        values.setdefault("csrf_token", csrf_token(request))
        values.setdefault("issuer", self.runtime.provider.config.issuer)
        lang = self.languages.choose(ui_locales, request.headers.get("accept-language"))
        translations = self.languages.translations(lang)
        html = self.templates.get_template(template).render(
            **values, lang=lang, translations=translations
        )
        headers = {**NO_STORE, "Content-Language": lang}
        response = HTMLResponse(html, status_code=status, headers=headers)
        set_csrf_cookie(request, response, secure=self.secure_cookies)
        return response


def make_templates() -> Environment:
    """The one template environment, with jinja2.ext.i18n: ``{% trans %}`` blocks and
    ``_()`` look the text up in the catalog each render passes as ``translations``."""
    templates = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        auto_reload=False,
        extensions=[InternationalizationExtension],
    )
    # Whitespace inside {% trans %} blocks is collapsed, as in the extracted catalog
    # (babel.cfg sets the same).
    templates.policies["ext.i18n.trimmed"] = True
    # The extension adds this method at run time, so its type is unknown to mypy.
    templates.install_gettext_callables(  # type: ignore[attr-defined]
        page_gettext, page_ngettext, newstyle=True
    )
    return templates


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.gatehouse
    return ctx
