"""Why a federated sign-in did not happen. Never a 500: each failure is a page that says
what went wrong (web/federation.py) and an audit event (``federation.failed``)."""

from __future__ import annotations


class FederationFailed(Exception):
    """``reason``: a short code for the audit log (unknown_upstream, state, upstream_error,
    discovery, token_endpoint, id_token, issuer, audience, nonce, expired, account).
    ``description``: safe to show the person and the developer (no token, code or secret).
    ``interaction_id``: the paused request, when known, so the page can offer the sign-in
    page again."""

    def __init__(
        self,
        reason: str,
        description: str,
        *,
        alias: str | None = None,
        interaction_id: str | None = None,
    ) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description
        self.alias = alias
        self.interaction_id = interaction_id
