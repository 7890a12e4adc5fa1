"""The JWT bearer grant (RFC 7523 §2.1): a workload's token from a trusted external issuer
(a CI system's or a cloud's OIDC token) becomes a gatehouse access token, with no secret
stored anywhere.

The assertion is checked by protocol/external_issuers.py; then the issuer must have a rule
for the client the request is made as, and the assertion's subject must be one of the
subjects that rule allows. The token is the client's own, as with client_credentials: ``sub``
and ``client_id`` are the client, ``roles`` its app roles on the API the request names.

The client either authenticates as usual (its assertion then proves which workload calls as
well), or, registered with auth_method none and this grant alone, only names itself with
``client_id``: RFC 7523 §3.1 makes client authentication optional, and the assertion, signed
by an issuer the client's rule trusts, is its credential (docs/workload-identity.md).
"""

from __future__ import annotations

from typing import Any

from gatehouse.errors import InvalidGrant, UnauthorizedClient
from gatehouse.protocol.external_issuers import (
    ExternalSubject,
    ExternalTokenRejected,
    verify_external_token,
)
from gatehouse.protocol.grants.client_credentials import application_token
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.storage.records import AuditEvent, Client

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class JwtBearerGrant:
    grant_type = GRANT_TYPE

    def handle(
        self, provider: Provider, client: Client, params: Parameters, *, address: str | None = None
    ) -> TokenResponse:
        if client.is_public:
            raise UnauthorizedClient(
                "a public client cannot use the JWT bearer grant: its tokens carry app roles, "
                "which are for confidential clients"
            )
        # RFC 7523 §2.1: exactly one JWT in "assertion" (Parameters refuses duplicates).
        assertion = params.require("assertion")
        try:
            external = verify_external_token(provider, assertion)
            _check_client_rule(external, client)
        except ExternalTokenRejected as rejected:
            _record(provider, client, address, "token.jwt_bearer.refused", _refusal(rejected))
            # RFC 7523 §3.1: an assertion that is not valid is invalid_grant.
            raise InvalidGrant(rejected.description) from None
        response = application_token(provider, client, params)
        _record(
            provider,
            client,
            address,
            "token.jwt_bearer.issued",
            {"issuer": external.issuer.issuer, "subject": external.subject},
        )
        return response


def _check_client_rule(external: ExternalSubject, client: Client) -> None:
    """The issuer is trusted for this client, and for this subject of its."""
    issuer = external.issuer
    rule = issuer.rule_for(client.client_id)
    if rule is None:
        raise ExternalSubjectRefused(
            external,
            "client_not_allowed",
            f"this client does not accept tokens of {issuer.issuer!r} (an operator allows "
            "it with `gatehouse issuer trust ISSUER --client CLIENT --subject SUBJECT`)",
        )
    if external.subject not in rule.subjects:
        raise ExternalSubjectRefused(
            external,
            "subject_not_allowed",
            f"the assertion's subject ({issuer.subject_claim} "
            f"{external.subject[:200]!r}) is not one this client allows from "
            f"{issuer.issuer!r}",
        )


class ExternalSubjectRefused(ExternalTokenRejected):
    """A valid token whose subject may not act as the client."""

    def __init__(self, external: ExternalSubject, reason: str, description: str) -> None:
        super().__init__(reason, description, external.issuer.issuer)
        self.subject = external.subject


def _refusal(rejected: ExternalTokenRejected) -> dict[str, Any]:
    details: dict[str, Any] = {"reason": rejected.reason}
    if rejected.issuer is not None:
        details["issuer"] = rejected.issuer
    if isinstance(rejected, ExternalSubjectRefused):
        details["subject"] = rejected.subject[:200]
    return details


def _record(
    provider: Provider,
    client: Client,
    address: str | None,
    event_type: str,
    details: dict[str, Any],
) -> None:
    with provider.transaction():
        provider.audit.record(
            AuditEvent(
                type=event_type,
                occurred_at=provider.clock(),
                actor="client",
                client_id=client.client_id,
                ip=address,
                details=details,
            )
        )
