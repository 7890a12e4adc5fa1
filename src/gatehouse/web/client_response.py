"""Delivering an authorization response (a success or an error addressed to the client) in
its response mode (protocol/response_modes.py): a 303 redirect for query and fragment, and
for form_post a page whose form the browser POSTs to the redirect URI (OAuth 2.0 Form Post
Response Mode §2), submitted by a static script (the CSP allows no inline script) or, without
JavaScript, by the person with its button."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.protocol.response_modes import RedirectToClient
from gatehouse.web.context import context_of
from gatehouse.web.http import redirect


def deliver(request: Request, response: RedirectToClient) -> Response:
    if response.mode != "form_post":
        return redirect(response.location)
    return context_of(request).render(
        request, "form_post.html", redirect_uri=response.redirect_uri, fields=response.params
    )
