"""One ASGI app for every tenant: ``/t/{name}/...`` goes to tenant ``name``'s own app, the
rest to the default tenant's app, unchanged (docs/tenants.md).

``/t/default/...`` is the default tenant's app too, as if the prefix were not there: the same
app, issuer, links and cookies. It exists for clients that need an authority with a path
(MSAL, docs/microsoft-compatibility.md); nothing the default tenant serves names it.

A tenant's app is ``create_app`` over the tenant's runtime (runtime.py ``TenantRuntimes``:
built on first use, rebuilt when the tenant changes, forgotten when it is deleted), served
with ``root_path`` set to ``/t/{name}``, so its routes are the default tenant's. Its pages'
links start with that path (templates' ``base``), and a redirect to a path of its own gets
it here, in one place. The default tenant's requests cost one prefix check.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.runtime import Runtime, TenantRuntimes
from gatehouse.tenancy import (
    AUTHORITIES,
    DEFAULT_TENANT,
    TENANT_PATH,
    TenantNameError,
    check_tenant_name,
    tenant_path,
)
from gatehouse.web.common import create_authority_app, route_token
from gatehouse.web.errors import error_page
from gatehouse.web.http import json_response
from gatehouse.web.i18n import N_
from gatehouse.web.threads import run_in_threadpool

# Where the default tenant is served besides the server's root (the module's docstring).
DEFAULT_ALIAS = f"{TENANT_PATH}{DEFAULT_TENANT}"
NO_SUCH_TENANT = N_("There is no such organisation here")
CHECK_THE_ADDRESS = N_(
    "Check the address you followed: the organisation's name may be misspelt, or it no longer "
    "signs people in here."
)


class TenantDispatch:
    def __init__(
        self,
        default_app: Starlette,
        tenants: TenantRuntimes,
        build: Callable[[Runtime], Starlette],
    ) -> None:
        self.default_app = default_app
        self.tenants = tenants
        self._build = build
        # The app of each tenant, with the runtime it was built over.
        self._apps: dict[str, tuple[Runtime, ASGIApp]] = {}
        # The multi-tenant authorities' apps (web/common.py), built when first asked for.
        self._authorities: dict[str, Starlette] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(TENANT_PATH):
            await self.default_app(scope, receive, send)
            return
        name, _, rest = scope["path"][len(TENANT_PATH) :].partition("/")
        if name == DEFAULT_TENANT:
            await self.default_app(_without_prefix(scope, DEFAULT_ALIAS), receive, send)
            return
        if name in AUTHORITIES:
            await self._authority(name, rest, scope, receive, send)
            return
        app = await self._app_of(name)
        if app is None:
            await self._no_such_tenant(scope, name)(scope, receive, send)
            return
        prefix = tenant_path(name)
        inner = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(inner, receive, _local_redirects(send, prefix.encode()))

    async def _authority(
        self, name: str, rest: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """``/t/common/...``, ``/t/organizations/...`` (web/common.py): the authority's own
        app, or for its token endpoint the token endpoint of the code's tenant."""
        app = self._authorities.get(name)
        if app is None:
            app = self._authorities[name] = create_authority_app(self.tenants, name)
        if rest == "token" and scope["method"] == "POST":
            await route_token(app.state.authority, scope, receive, send, self)
            return
        prefix = tenant_path(name)
        inner = {**scope, "root_path": scope.get("root_path", "") + prefix}
        await app(inner, receive, _local_redirects(send, prefix.encode()))

    async def _app_of(self, name: str) -> ASGIApp | None:
        try:
            check_tenant_name(name)
        except TenantNameError:
            return None
        runtime = self.tenants.known(name)
        if runtime is None:
            runtime = await run_in_threadpool(self.tenants.get, name)
            if runtime is None:
                self._apps.pop(name, None)
                return None
        built = self._apps.get(name)
        if built is None or built[0] is not runtime:
            # Off the event loop: building reads templates and catalogs from disk.
            built = (runtime, await run_in_threadpool(self._build, runtime))
            self._apps[name] = built
        return built[1]

    def _no_such_tenant(self, scope: Scope, name: str) -> Response:
        """404, as a page for a browser and JSON for a program; the name only if it is one
        (what a browser shows is never an arbitrary path)."""
        try:
            shown = f"no tenant {check_tenant_name(name)!r} is served here"
        except TenantNameError:
            shown = "no tenant of that name is served here"
        request = Request({**scope, "app": self.default_app})
        if "text/html" in request.headers.get("accept", ""):
            return error_page(
                request,
                404,
                NO_SUCH_TENANT,
                CHECK_THE_ADDRESS,
                description=shown,
                error_code="not_found",
                tenant_cookies=False,  # not the default tenant's page: none of its cookies
            )
        return json_response({"error": "not_found", "error_description": shown}, 404)


def _without_prefix(scope: Scope, prefix: str) -> Scope:
    """``scope`` as if its path had no ``prefix`` (``/t/default/token`` is ``/token``)."""
    path = scope["path"][len(prefix) :] or "/"
    inner = {**scope, "path": path}
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(prefix.encode()):
        inner["raw_path"] = raw[len(prefix) :] or b"/"
    return inner


def _local_redirects(send: Send, prefix: bytes) -> Send:
    """``send``, with a Location that is a path of the tenant's app (``/login?...``) moved
    below the tenant's prefix; absolute URLs (a client's redirect URI) are left alone."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            if any(name == b"location" for name, _ in headers):
                message["headers"] = [
                    (name, prefix + value)
                    if name == b"location" and value[:1] == b"/" and value[:2] != b"//"
                    else (name, value)
                    for name, value in headers
                ]
        await send(message)

    return sending


def serve_every_tenant(
    tenants: TenantRuntimes, build: Callable[[Runtime], Starlette]
) -> TenantDispatch:
    """The app of a server process: the default tenant's app (``build``) and, below /t/,
    every other tenant's, each built by ``build`` over its runtime when first asked for."""
    return TenantDispatch(build(tenants.default), tenants, build)
