"""gatehouse's own account-page client (like Keycloak's ``account-console``).

It is built in: registered by the server itself with the issuer it serves (start-up of the
account page's sign-in keeps it current), public with PKCE, first party (no consent page),
and protected from the operator's ``client update`` / ``client delete`` and from apply
files, since a changed registration would lock every person out of their account page.
"""

from __future__ import annotations

from dataclasses import fields

from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client

ACCOUNT_CLIENT_ID = "gatehouse-account"
ACCOUNT_CLIENT_NAME = "Your gatehouse account"
CALLBACK_PATH = "/account/callback"
BUILTIN_CLIENT_IDS = frozenset({ACCOUNT_CLIENT_ID})
# What may differ between the stored registration and the one built for this issuer.
_BOOKKEEPING = frozenset({"created_at", "updated_at"})


def is_builtin(client_id: str) -> bool:
    """Whether ``client_id`` is reserved for one of gatehouse's own clients."""
    return client_id in BUILTIN_CLIENT_IDS


def account_client(issuer: str, now: int) -> Client:
    """The account page's registration for ``issuer``."""
    return Client(
        client_id=ACCOUNT_CLIENT_ID,
        name=ACCOUNT_CLIENT_NAME,
        client_type="public",
        auth_method="none",
        grant_types=("authorization_code",),
        redirect_uris=(f"{issuer}{CALLBACK_PATH}",),
        post_logout_redirect_uris=(),
        allowed_scopes=("openid",),
        web_origins=(),
        first_party=True,
        id_token_signing_alg=None,
        created_at=now,
        updated_at=now,
    )


def ensure_account_client(provider: Provider) -> Client:
    """The account page's client, registered (or brought up to date: the issuer may have
    changed) when the stored one is missing or differs. One read when it is current."""
    wanted = account_client(provider.config.issuer, provider.clock())
    stored = provider.clients.get(ACCOUNT_CLIENT_ID)
    if stored is None or any(
        getattr(stored, f.name) != getattr(wanted, f.name)
        for f in fields(Client)
        if f.name not in _BOOKKEEPING
    ):
        provider.clients.register_builtin(wanted)
    return wanted
