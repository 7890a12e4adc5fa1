"""CSRF protection for gatehouse's own forms: a random token in an HttpOnly cookie that the
form must echo (double submit), compared in constant time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.crypto import constant_time_equals, random_token, sha256_digest
from gatehouse.errors import InvalidRequest
from gatehouse.web.cookies import cookie_names


def csrf_token(request: Request) -> str:
    """The browser's token, or a new one; ``set_csrf_cookie`` stores a new one."""
    existing = request.cookies.get(cookie_names(request).csrf)
    if existing and 20 <= len(existing) <= 128:
        return existing
    token = random_token()
    request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response: Response, *, secure: bool) -> None:
    token = getattr(request.state, "new_csrf", None)
    if token:
        names = cookie_names(request)
        response.set_cookie(
            names.csrf, token, httponly=True, samesite="lax", secure=secure, path=names.path
        )


class FormExpired(InvalidRequest):
    """The form's CSRF token is missing or is not this browser's (web/errors.py shows "This
    form has expired")."""

    status_code = 403


def csrf_valid(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(cookie_names(request).csrf)
    return bool(cookie and submitted) and constant_time_equals(cookie or "", submitted or "")


def require_csrf(request: Request, submitted: str | None) -> None:
    """Raise FormExpired unless ``submitted`` is this browser's CSRF token."""
    if not csrf_valid(request, submitted):
        raise FormExpired(
            "the form's security token is missing or does not match; reload the page and try again"
        )


def browser_binding(request: Request) -> str:
    """The hash an interaction is bound to: the same random per-browser cookie that CSRF
    uses, so a sign-in can only be finished in the browser that started it."""
    return sha256_digest(csrf_token(request))
