"""What every adapter needs, kept on ``app.state.gatehouse``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import InternationalizationExtension
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from gatehouse.accounts.known_browsers import KNOWN_BROWSER_LIFETIME
from gatehouse.protocol.device import VERIFICATION_PATH
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.tenancy import TenantProfile
from gatehouse.web.cookies import CookieNames
from gatehouse.web.cors import AllowedOrigins
from gatehouse.web.csrf import csrf_token, set_csrf_cookie
from gatehouse.web.http import NO_STORE
from gatehouse.web.i18n import Languages, page_gettext, page_ngettext
from gatehouse.web.page_format import utc_time, word_list
from gatehouse.web.security import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class WebContext:
    runtime: Runtime
    templates: Environment
    languages: Languages
    allowed_origins: AllowedOrigins
    secure_cookies: bool
    # The tenant's cookies (web/cookies.py): the default tenant's unless the app is another's.
    cookies: CookieNames = field(default_factory=CookieNames)
    # The tenant's branding (tenancy.py TenantProfile), shown on its pages; None: gatehouse's.
    brand: TenantProfile | None = None

    # The page's Content-Security-Policy (web/branding.py: a tenant's logo may add an origin).
    content_security_policy: str = CONTENT_SECURITY_POLICY

    @property
    def base(self) -> str:
        """The path the tenant's pages live below ("" for the default tenant): every link
        and form of a page starts with it."""
        return self.cookies.base

    def local(self, location: str) -> str:
        """``location``, a path of this tenant's app (``/consent?...``), as the browser must
        be sent to it; anything else (a client's URL) as it is."""
        if location.startswith("/") and not location.startswith("//"):
            return f"{self.base}{location}"
        return location

    def session_cookie(self, request: Request) -> str | None:
        return request.cookies.get(self.cookies.session)

    def device_cookie(self, request: Request) -> str | None:
        return request.cookies.get(self.cookies.device)

    @property
    def provider(self) -> Provider:
        return self.runtime.provider

    def set_session_cookie(self, response: Response, value: str, max_age: int | None) -> None:
        """The SSO session's cookie: HttpOnly, SameSite=Lax, Secure under https. Without
        ``max_age`` (no "Remember me") a browser-session cookie: closing the browser signs
        the person out; with it, the cookie lives as long as the session may."""
        response.set_cookie(
            self.cookies.session,
            value,
            max_age=max_age,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path=self.cookies.path,
        )

    def set_device_cookie(self, response: Response, value: str) -> None:
        """The known-browser cookie (accounts/known_browsers.py): long-lived, HttpOnly."""
        response.set_cookie(
            self.cookies.device,
            value,
            max_age=KNOWN_BROWSER_LIFETIME,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path=self.cookies.path,
        )

    def keep_user_code(self, response: Response, code: str) -> None:
        """The device page's user code, across the sign-in it sends the browser to: for as
        long as a sign-in may take, HttpOnly, sent to the device page only."""
        response.set_cookie(
            self.cookies.user_code,
            code,
            max_age=self.runtime.provider.config.interaction_lifetime,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
            path=self.cookies.below(VERIFICATION_PATH),
        )

    def forget_user_code(self, response: Response) -> None:
        response.delete_cookie(
            self.cookies.user_code,
            path=self.cookies.below(VERIFICATION_PATH),
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(
            self.cookies.session,
            path=self.cookies.path,
            httponly=True,
            samesite="lax",
            secure=self.secure_cookies,
        )

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
        if "csrf_token" not in values:  # (a page given one mints none, nor sets its cookie)
            values["csrf_token"] = csrf_token(request)
        values.setdefault("issuer", self.runtime.provider.config.issuer)
        values.setdefault("base", self.base)
        values.setdefault("brand", self.brand)
        values.setdefault("tenant", self.runtime.provider.config.tenant_id)
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
        # HTML escaped; the plain-text parts of email (email/*.txt) not.
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
    templates.filters["utc_time"] = utc_time
    templates.filters["word_list"] = word_list
    return templates


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.gatehouse
    return ctx
