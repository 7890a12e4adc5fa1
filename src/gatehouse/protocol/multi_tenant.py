"""Multi-tenant applications in a tenant that is not their home (docs/multi-tenant-apps.md).

A client its home tenant marked multi-tenant can be used by the people of another tenant
once it has a *presence* there: Entra ID's service principal, gatehouse's admin consent
record naming the home tenant (storage/admin_consents.py). An administrator of the tenant
creates it (``gatehouse --tenant B consent grant-admin --client X``), or, where the tenant's
policy lets people add such applications (``user_consent_adds_multi_tenant_apps``), a
person's own consent on the consent page does. Without one, a person who signs in is told
the application is not available in their organisation, and the client gets access_denied
(or consent_required for prompt=none, OIDC Core §3.1.2.6).
"""

from __future__ import annotations

from gatehouse.protocol.provider import Provider
from gatehouse.storage.admin_consents import AdminConsent
from gatehouse.storage.records import AuditEvent, Client

PRESENCE_CREATED = "consent.presence_created"


def presence_missing(provider: Provider, client: Client) -> str | None:
    """The home tenant of ``client`` when it is another tenant's multi-tenant application
    without a presence in this tenant; None when it may be used here (own, or present)."""
    if not client.multi_tenant:
        return None  # only a multi-tenant client is ever another tenant's
    home = provider.clients.home_tenant(client.client_id)
    if home is None:
        return None
    return None if provider.clients.presence_home(client.client_id) == home else home


def people_may_add(provider: Provider) -> bool:
    """Whether a person's own consent may add a multi-tenant application to this tenant."""
    return provider.policy.get().user_consent_adds_multi_tenant_apps


def not_available(provider: Provider, client: Client) -> str:
    """The error_description when ``client`` has no presence in this tenant."""
    tenant = provider.config.tenant_id
    return (
        f"the application {client.client_id[:100]!r} is not available in tenant {tenant!r}: "
        f"an administrator of {tenant!r} must consent to it first "
        f"(gatehouse --tenant {tenant} consent grant-admin --client {client.client_id[:100]})"
    )


def add_presence(provider: Provider, client: Client, home: str, user_id: str, now: int) -> None:
    """Create the application's presence, by the consent of ``user_id``: call inside the
    transaction that stores their consent, so both commit or neither."""
    provider.admin_consents.save(AdminConsent(client.client_id, frozenset(), now, now, home))
    provider.audit.record(
        AuditEvent(
            type=PRESENCE_CREATED,
            occurred_at=now,
            actor="user",
            user_id=user_id,
            client_id=client.client_id,
            details={"home_tenant": home},
        )
    )
