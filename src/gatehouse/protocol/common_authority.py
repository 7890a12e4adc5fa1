"""The multi-tenant authorities ``common`` and ``organizations`` (docs/multi-tenant-apps.md),
as Entra ID has them: one authority for an application used by people of many tenants.

Neither is a tenant: it issues nothing and keeps nothing. Its authorization endpoint finds
the person's tenant — by the domain of what they type to sign in (the tenants' ``domains``),
else from a list — and sends the browser on to that tenant's own authorization endpoint with
the same request (plus ``login_hint``), so the tenant signs the person in and issues the code
with its own ``iss`` (RFC 9207). Its token endpoint reads the tenant from the code's or
refresh token's routing prefix (tenancy.py ``routed``) and hands the request to that
tenant's token endpoint. ``common`` spans every tenant, the default one included;
``organizations`` every tenant but the default one. Only multi-tenant clients may use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from gatehouse.errors import (
    InteractionRequired,
    InvalidGrant,
    InvalidRequest,
    ResponseMode,
    UnauthorizedClient,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.redirect_uris import match_registered
from gatehouse.storage.multi_tenant import MultiTenantDirectory
from gatehouse.storage.records import Client
from gatehouse.storage.tenants import TenantRepository
from gatehouse.tenancy import (
    TENANT_PATH,
    domain_of,
    route_of,
    spans,
    tenant_issuer,
)

# Entra's {tenantid} placeholder in the issuer of its multi-tenant discovery documents.
TENANT_PLACEHOLDER = "{tenantid}"


@dataclass(frozen=True)
class TenantChoice:
    name: str
    display_name: str


@dataclass(frozen=True)
class AuthorityRequest:
    """An authorization request at the authority whose client and redirect URI hold."""

    client: Client
    home: str
    params: Parameters
    redirect_uri: str  # the registered one the request names (or the only one registered)


class CommonAuthority:
    def __init__(
        self,
        name: str,
        base_issuer: str,
        tenants: TenantRepository,
        directory: MultiTenantDirectory,
    ) -> None:
        self.name = name
        self.base_issuer = base_issuer.rstrip("/")
        self._tenants = tenants
        self._directory = directory

    @property
    def issuer(self) -> str:
        """Where the authority lives: ``{base}/t/common``. Never a token's ``iss``."""
        return f"{self.base_issuer}{TENANT_PATH}{self.name}"

    @property
    def issuer_template(self) -> str:
        """The discovery document's ``issuer``, as Entra publishes it: a token's ``iss`` is
        this with ``{tenantid}`` replaced by its ``tid`` (the default tenant's tokens, of
        ``common`` only, carry the bare base issuer instead)."""
        return f"{self.base_issuer}{TENANT_PATH}{TENANT_PLACEHOLDER}"

    def spanned(self, tenant: str) -> bool:
        return spans(self.name, tenant)

    # -- The authorization endpoint -----------------------------------------------------------

    def authorization_request(self, params: Parameters) -> AuthorityRequest:
        """The request's multi-tenant client and registered redirect URI (RFC 6749 §3.1.2.3),
        checked before anything else: until they hold, errors stay on gatehouse's page."""
        client_id = params.get("client_id")
        if client_id is None:
            raise InvalidRequest("the client_id parameter is required")
        home = self._directory.home_of(client_id)
        found = self._directory.home_client(home, client_id) if home is not None else None
        if home is None or found is None:
            if self._directory.tenants_with_client(client_id):
                raise UnauthorizedClient(
                    f"client {client_id[:100]!r} is not a multi-tenant application: only those "
                    f"may use the {self.name} authority; use its tenant's own issuer"
                )
            raise InvalidRequest(f"no application is registered with client_id {client_id[:100]!r}")
        client = found[0]
        openid = "openid" in (params.get("scope") or "").split(" ")
        redirect_uri, _ = match_registered(
            params.get("redirect_uri"), client.redirect_uris, openid=openid, native=client.is_public
        )
        return AuthorityRequest(client, home, params, redirect_uri)

    def cannot_ask(self, request: AuthorityRequest) -> InteractionRequired | None:
        """OIDC Core §3.1.2.1: with prompt=none no page may be shown, so a request whose
        hints name no tenant is answered at the client's redirect URI, not with the page that
        asks for the organisation. No tenant made the answer: its ``iss`` is this
        authority's own address (docs/multi-tenant-apps.md)."""
        if "none" not in (request.params.get("prompt") or "").split(" "):
            return None
        mode = request.params.get("response_mode")
        modes: dict[str | None, ResponseMode] = {"fragment": "fragment", "form_post": "form_post"}
        return InteractionRequired(
            f"prompt=none at the {self.name} authority needs a login_hint or domain_hint that "
            "names the person's organisation; without one it would have to ask"
        ).to_client(
            request.redirect_uri,
            request.params.get("state"),
            modes.get(mode, "query"),
        )

    def tenant_of_login(self, login: str) -> str | None:
        """The tenant whose ``domains`` hold the domain of ``login`` (alice@acme.example), if
        this authority spans it."""
        domain = domain_of(login)
        if domain is None:
            return None
        for tenant in self._tenants.list():
            if domain in (tenant.profile.domains or ()) and self.spanned(tenant.id):
                return tenant.id
        return None

    def choices(self, request: AuthorityRequest) -> list[TenantChoice]:
        """The tenants a person may pick: those spanned where the application can be used
        now (its home and the tenants it has a presence in), by display name."""
        usable = {request.home, *self._directory.presences(request.home, request.client.client_id)}
        return sorted(
            (
                TenantChoice(t.id, t.profile.display_name or t.id)
                for t in self._tenants.list()
                if t.id in usable and self.spanned(t.id)
            ),
            key=lambda c: (c.display_name.lower(), c.name),
        )

    def chosen(self, request: AuthorityRequest, tenant: str) -> str:
        """``tenant`` if a person may continue there; else InvalidRequest, which the page
        shows beside the form."""
        if not self.spanned(tenant) or self._tenants.get(tenant) is None:
            raise InvalidRequest(f"there is no organisation {tenant[:63]!r} here to sign in with")
        return tenant

    def continue_at(self, request: AuthorityRequest, tenant: str, login: str | None) -> str:
        """The URL of ``tenant``'s authorization endpoint with the same request, and the
        person's ``login`` as login_hint (OIDC Core §3.1.2.1) so they type it once."""
        params = {k: v for k, v in request.params.items() if k != "login_hint"}
        hint = login or request.params.get("login_hint")
        if hint:
            params["login_hint"] = hint
        return f"{tenant_issuer(self.base_issuer, tenant)}/authorize?{urlencode(params)}"

    # -- The token endpoint -------------------------------------------------------------------

    def token_tenant(self, params: Parameters, client_id: str | None) -> str:
        """The tenant whose token endpoint answers this request: the one its code or refresh
        token was issued in. Only a multi-tenant client, and only a grant that names one."""
        grant_type = params.get("grant_type")
        field = {"authorization_code": "code", "refresh_token": "refresh_token"}.get(
            grant_type or ""
        )
        if field is None:
            raise InvalidRequest(
                f"the {self.name} authority's token endpoint redeems codes and refresh tokens "
                "only; use the tenant's own token endpoint for other grants"
            )
        home = self._directory.home_of(client_id) if client_id is not None else None
        if client_id is None or home is None:
            raise UnauthorizedClient(
                f"only multi-tenant applications may use the {self.name} authority; name the "
                "client with client_id or HTTP Basic authentication"
            )
        value = params.get(field)
        tenant = route_of(value) if value else None
        if tenant is None or not self.spanned(tenant) or self._tenants.get(tenant) is None:
            raise InvalidGrant(f"the {field} is not valid at the {self.name} authority")
        if tenant != home and tenant not in self._directory.presences(home, client_id):
            # The client has no code or refresh token there: a prefix changed on the way, not
            # a reason to authenticate the client at a tenant it is not present in.
            raise InvalidGrant(f"the {field} is not valid at the {self.name} authority")
        return tenant
