"""The token response every grant returns (RFC 6749 §5.1, OIDC Core §3.1.3.3, §12.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenResponse:
    """A successful token response's members; ``to_json`` omits those a grant has not."""

    access_token: str
    expires_in: int
    scope: str
    id_token: str | None = None
    refresh_token: str | None = None
    token_type: str = "Bearer"
    issued_token_type: str | None = None  # RFC 8693 §2.2.1, token exchange only
    client_info: str | None = None  # Entra's, for an entra client that asks (tokens/entra.py)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.id_token is not None:
            body["id_token"] = self.id_token
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.issued_token_type is not None:
            body["issued_token_type"] = self.issued_token_type
        if self.client_info is not None:
            body["client_info"] = self.client_info
        return body
