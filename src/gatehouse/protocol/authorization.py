"""The authorization request once validated, and what answers it: a response at the client's
redirect URI (a code, tokens or an error: protocol/authorization_response.py,
protocol/response_modes.py) or a pause for the person to sign in or consent.

Shared by the authorization endpoint's steps (protocol/authorize.py) and the interaction
that pauses and resumes them (protocol/interaction.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

from gatehouse.accounts.assurance import achieved_acr, acr_level
from gatehouse.errors import OAuthError, ResponseMode
from gatehouse.protocol.response_modes import RedirectToClient
from gatehouse.storage.records import Client, Interaction, SsoSession, User

E = TypeVar("E", bound=OAuthError)
# "not_available": another tenant's multi-tenant application without a presence here
# (protocol/multi_tenant.py); the consent page says so.
InteractionKind = Literal["login", "verify", "enroll", "consent", "admin_approval", "not_available"]


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str = ""
    redirect_uri_given: bool = True
    scopes: tuple[str, ...] = ()
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    resources: tuple[str, ...] = ()
    id_token_hint_sub: str | None = None
    # OIDC Core §3.1.2.1: the known classes asked for, in order of preference.
    acr_values: tuple[str, ...] = ()
    # OIDC Core §3.1.2.1: the languages for the pages, in order of preference.
    ui_locales: tuple[str, ...] = ()
    # OIDC Core §5.5: the claims parameter, normalised (protocol/claims_request.py).
    claims: dict[str, Any] | None = None
    # protocol/response_types.py: in canonical order; and how the response travels.
    response_type: str = "code"
    response_mode: ResponseMode = "query"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizationRequest:
        data = dict(data)
        data["scopes"] = tuple(data["scopes"])
        data["prompt"] = tuple(data["prompt"])
        data["resources"] = tuple(data.get("resources", ()))
        data["acr_values"] = tuple(data.get("acr_values", ()))
        data["ui_locales"] = tuple(data.get("ui_locales", ()))
        return cls(**data)

    def refuse(self, error: E) -> E:
        """``error``, addressed to this request's redirect URI (validated by the trust steps
        before the request was built) with its state: RFC 6749 §4.1.2.1."""
        return error.to_client(self.redirect_uri, self.state, self.response_mode)


@dataclass(frozen=True)
class BrowserState:
    """What the browser brings: its SSO session (already looked up) and, when resuming, the
    interaction it is finishing."""

    session: SsoSession | None
    user: User | None
    interaction: Interaction | None = None
    interaction_id: str | None = None
    # SHA-256 of a random per-browser cookie: an interaction started in one browser can only
    # be finished in that browser.
    binding: str | None = None


@dataclass(frozen=True)
class InteractionNeeded:
    """Pause: the person must log in, give a second factor (``verify``), set one up
    (``enroll``) or consent, or be told that an administrator must approve the application
    (``admin_approval``; ``scopes_to_consent`` then names what needs the approval).
    ``interaction_id`` is the secret handle the pages carry; only its hash is stored."""

    kind: InteractionKind
    interaction_id: str
    client: Client
    request: AuthorizationRequest
    user: User | None = None
    scopes_to_consent: tuple[str, ...] = ()


AuthorizationOutcome = RedirectToClient | InteractionNeeded


def reported_acr(acr_values: tuple[str, ...], amr: tuple[str, ...]) -> str | None:
    """OIDC Core §2 acr: the first class of ``acr_values`` (in the client's order of
    preference) the methods reach; when none was asked for, the strongest they reach."""
    methods = frozenset(amr)
    for value in acr_values:
        level = acr_level(value)
        if level is not None and level.reached_by(methods):
            return value
    return achieved_acr(methods)
