"""Trusted external issuers: identity providers outside gatehouse whose JWTs gatehouse
accepts (a CI system's or a cloud's OIDC tokens, another company's IdP). The records, and the
repository contract (``storage.sql.trusted_issuers`` implements it).

A trusted issuer says how its tokens are checked: where its keys are (a JWK Set URI, or its
discovery document), which claim names the subject, and which audience its tokens must carry.
Its client rules say which local client a subject of that issuer may act as with the JWT
bearer grant (RFC 7523 §2.1): one issuer, such as GitHub's, serves many workloads, so each
rule names a client and the exact subject values allowed to become it.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class IssuerClientRule:
    """A subject of the issuer whose subject claim is one of ``subjects`` may get tokens as
    ``client_id`` (the JWT bearer grant)."""

    client_id: str
    subjects: frozenset[str]
    created_at: int


@dataclass(frozen=True)
class TrustedIssuer:
    """``issuer`` is the exact ``iss`` of its tokens. Exactly one of ``jwks_uri`` and
    ``discovery_url`` is set. ``audience``: what its tokens' ``aud`` must contain; None means
    gatehouse's own identity (its token endpoint or issuer URL, RFC 7523 §3)."""

    issuer: str
    subject_claim: str
    jwks_uri: str | None
    discovery_url: str | None
    audience: str | None
    created_at: int
    updated_at: int
    clients: tuple[IssuerClientRule, ...] = ()

    def rule_for(self, client_id: str) -> IssuerClientRule | None:
        return next((r for r in self.clients if r.client_id == client_id), None)


class TrustedIssuerRepository(Protocol):
    """The tenant's trusted issuers, each with its client rules, read and written whole."""

    def get(self, issuer: str) -> TrustedIssuer | None:
        """The issuer whose ``issuer`` is exactly ``issuer`` (no normalisation), with its
        rules ordered by client_id."""

    def list(self) -> builtins.list[TrustedIssuer]:
        """Every trusted issuer, ordered by issuer."""

    def save(self, issuer: TrustedIssuer) -> None:
        """Insert or replace the issuer and replace its client rules with ``issuer.clients``,
        in one transaction."""

    def delete(self, issuer: str) -> bool:
        """Remove the issuer and its rules; False if there was none."""
