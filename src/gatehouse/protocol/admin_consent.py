"""Admin consent and the scopes only an administrator can consent to.

An administrator consents to a client's delegated scopes for every person of the tenant
(``gatehouse consent grant-admin``; the record is storage/admin_consents.py): the consent
page then asks a person only about scopes beyond it. An API may mark some of its delegated
scopes ``admin_consent_required``: no person can grant those, so a request for one that no
admin consent covers cannot go on (the page says an administrator must approve; prompt=none
gets consent_required). A first-party client is the administrator's own and needs neither.

The consent policy itself (which scopes a person is asked about) is protocol/decision.py's;
this module answers the questions it and the grants ask of the admin consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gatehouse.protocol.audiences import split_canonical
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.storage.records import Api, Client


def admin_only(scopes: Iterable[str], apis: Sequence[Api]) -> frozenset[str]:
    """The canonical API scopes among ``scopes`` that their API marks admin_consent_required."""
    return frozenset(
        scope
        for scope in scopes
        if (split := split_canonical(scope, apis)) is not None
        and split[1] in split[0].admin_only_scope_names()
    )


def apis_for(provider: Provider, scopes: Iterable[str]) -> list[Api]:
    """The API catalogue (cached per process), read only when a scope may be an API's."""
    return provider.apis.list() if any(s not in STANDARD_SCOPES for s in scopes) else []


def admin_granted(provider: Provider, client_id: str) -> frozenset[str]:
    """The scopes an administrator consented to for the client, for the whole tenant."""
    consent = provider.admin_consents.get(client_id)
    return consent.scopes if consent is not None else frozenset()


def approval_missing(provider: Provider, client: Client, scopes: Sequence[str]) -> tuple[str, ...]:
    """The admin-only scopes among ``scopes`` that no admin consent covers, in request
    order: a person cannot grant them, so the request cannot go on. None for a first-party
    client (the administrator registered it as their own)."""
    if client.first_party:
        return ()
    only = admin_only(scopes, apis_for(provider, scopes))
    if not only:
        return ()
    granted = admin_granted(provider, client.client_id)
    return tuple(s for s in scopes if s in only and s not in granted)


def consented_scopes(provider: Provider, user_id: str, client_id: str) -> frozenset[str]:
    """What the person and the administrator consented to for the client, together: the
    person's own consent (never for an admin-only scope, which only an administrator can
    grant) and the admin consent. The grants without a consent page (password, token
    exchange) take no more than this."""
    consent = provider.consents.get(user_id, client_id)
    own = consent.scopes if consent is not None else frozenset()
    own = own - admin_only(own, apis_for(provider, own))
    return own | admin_granted(provider, client_id)
