"""Trusting external issuers (`gatehouse issuer`, and `trusted_issuers` in `apply`): how
their tokens are checked, and which client a subject of theirs may act as with the JWT bearer
grant (storage/trusted_issuers.py, protocol/external_issuers.py)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from gatehouse.admin.changes import changed_fields, record_admin_change
from gatehouse.admin.errors import AdminError
from gatehouse.protocol.external_issuers import MAX_SUBJECT_LENGTH
from gatehouse.protocol.grants.jwt_bearer import GRANT_TYPE as JWT_BEARER
from gatehouse.protocol.redirect_uris import server_url_problem
from gatehouse.runtime import Runtime
from gatehouse.storage.trusted_issuers import IssuerClientRule, TrustedIssuer

# RFC 7519 §4.1.1: iss is a StringOrURI; printable, no spaces, as stored (512 characters).
_ISSUER = re.compile(r"[!-~]{1,512}")
_CLAIM = re.compile(r"[!-~]{1,255}")
_AUDIENCE = re.compile(r"[!-~]{1,512}")


@dataclass
class IssuerSpec:
    """What an operator asks for; None keeps what is stored (on a new issuer: nothing).
    ``audience`` "" removes it. ``client_id`` with ``subjects``: the rule for that client,
    replacing the one it had."""

    issuer: str
    jwks_uri: str | None = None
    discovery_url: str | None = None
    subject_claim: str | None = None
    audience: str | None = None
    client_id: str | None = None
    subjects: list[str] | None = None


def issuer_to_json(issuer: TrustedIssuer) -> dict[str, Any]:
    return {
        "issuer": issuer.issuer,
        "jwks_uri": issuer.jwks_uri,
        "discovery_url": issuer.discovery_url,
        "subject_claim": issuer.subject_claim,
        "audience": issuer.audience,
        "clients": [
            {"client_id": rule.client_id, "subjects": sorted(rule.subjects)}
            for rule in issuer.clients
        ],
        "created_at": issuer.created_at,
    }


def list_issuers(runtime: Runtime) -> list[dict[str, Any]]:
    return [issuer_to_json(i) for i in runtime.store.trusted_issuers.list()]


def show_issuer(runtime: Runtime, issuer: str) -> dict[str, Any]:
    return issuer_to_json(_get(runtime, issuer))


def _get(runtime: Runtime, issuer: str) -> TrustedIssuer:
    found = runtime.store.trusted_issuers.get(issuer)
    if found is None:
        raise AdminError(f"{issuer[:200]!r} is not a trusted issuer")
    return found


def trust_issuer(runtime: Runtime, spec: IssuerSpec) -> tuple[dict[str, Any], bool]:
    """Trust ``spec.issuer``, or change how; (the issuer as JSON, whether anything changed)."""
    existing = runtime.store.trusted_issuers.get(spec.issuer)
    now = int(time.time())
    desired = validated_issuer(runtime, spec, existing, now)
    before = issuer_to_json(existing) if existing is not None else {}
    after = issuer_to_json(desired)
    fields = changed_fields(before, after)
    if not fields:
        return before, False
    details: dict[str, Any] = {"issuer": spec.issuer, "fields": fields}
    with runtime.database.atomic():
        runtime.store.trusted_issuers.save(desired)
        record_admin_change(
            runtime, "admin.issuer.trusted", client_id=spec.client_id, details=details
        )
    return after, True


def distrust_issuer(runtime: Runtime, issuer: str, client_id: str | None = None) -> dict[str, Any]:
    """Remove the issuer (every rule with it), or only ``client_id``'s rule of it."""
    found = _get(runtime, issuer)
    if client_id is not None and found.rule_for(client_id) is None:
        raise AdminError(f"{issuer[:200]!r} has no rule for client {client_id!r}")
    repo = runtime.store.trusted_issuers
    with runtime.database.atomic():
        if client_id is None:
            repo.delete(issuer)
        else:
            kept = tuple(r for r in found.clients if r.client_id != client_id)
            repo.save(replace(found, clients=kept, updated_at=int(time.time())))
        record_admin_change(
            runtime, "admin.issuer.distrusted", client_id=client_id, details={"issuer": issuer}
        )
    if client_id is None:
        return {"distrusted": issuer}
    return {"distrusted": issuer, "client_id": client_id}


def validated_issuer(
    runtime: Runtime, spec: IssuerSpec, existing: TrustedIssuer | None, now: int
) -> TrustedIssuer:
    """``spec`` merged over ``existing`` and checked rule by rule."""
    if not _ISSUER.fullmatch(spec.issuer):
        raise AdminError("the issuer must be 1-512 printable characters without spaces")
    jwks_uri, discovery_url = _key_source(spec, existing)
    subject_claim = spec.subject_claim or (existing.subject_claim if existing else None)
    if subject_claim is None:
        raise AdminError(
            "--subject-claim is required: the claim of the issuer's tokens that names the "
            "subject (sub, for most issuers)"
        )
    if not _CLAIM.fullmatch(subject_claim):
        raise AdminError("the subject claim must be 1-255 printable characters without spaces")
    audience = existing.audience if existing is not None else None
    if spec.audience is not None:
        audience = spec.audience or None
        if audience is not None and not _AUDIENCE.fullmatch(audience):
            raise AdminError("the audience must be 1-512 printable characters without spaces")
    return TrustedIssuer(
        issuer=spec.issuer,
        subject_claim=subject_claim,
        jwks_uri=jwks_uri,
        discovery_url=discovery_url,
        audience=audience,
        created_at=existing.created_at if existing is not None else now,
        updated_at=now,
        clients=_client_rules(runtime, spec, existing, now),
    )


def _key_source(spec: IssuerSpec, existing: TrustedIssuer | None) -> tuple[str | None, str | None]:
    """Exactly one of a jwks_uri and a discovery URL: https (plain http only to a loopback
    address), no fragment."""
    if spec.jwks_uri is not None and spec.discovery_url is not None:
        raise AdminError("give --jwks-uri or --discovery, not both")
    if spec.jwks_uri is None and spec.discovery_url is None:
        if existing is None:
            raise AdminError(
                "say where the issuer's keys are: --jwks-uri URI, or --discovery URL (its "
                "/.well-known/openid-configuration)"
            )
        return existing.jwks_uri, existing.discovery_url
    for name, uri in (("--jwks-uri", spec.jwks_uri), ("--discovery", spec.discovery_url)):
        if uri is not None and (problem := server_url_problem(uri)) is not None:
            raise AdminError(f"{name} {problem}")
    return spec.jwks_uri, spec.discovery_url


def _client_rules(
    runtime: Runtime, spec: IssuerSpec, existing: TrustedIssuer | None, now: int
) -> tuple[IssuerClientRule, ...]:
    rules = {r.client_id: r for r in (existing.clients if existing is not None else ())}
    if spec.client_id is None:
        if spec.subjects:
            raise AdminError("--subject goes with --client: the client those subjects act as")
        return tuple(rules.values())
    client = runtime.store.clients.get(spec.client_id)
    if client is None:
        raise AdminError(f"no client {spec.client_id!r}")
    if JWT_BEARER not in client.grant_types:
        raise AdminError(
            f"client {spec.client_id!r} does not use the JWT bearer grant; add "
            f"{JWT_BEARER} to its grant types first"
        )
    subjects = frozenset(spec.subjects or ())
    if not subjects:
        # An issuer such as GitHub's signs tokens for every repository on GitHub: without a
        # subject rule, any of them could act as this client.
        raise AdminError(
            "--client needs at least one --subject: the exact subject values allowed to act "
            "as the client (an issuer may sign tokens for many others)"
        )
    if any(not 0 < len(s) <= MAX_SUBJECT_LENGTH or not s.strip() for s in subjects):
        raise AdminError(f"a subject must be 1-{MAX_SUBJECT_LENGTH} characters, not blank")
    old = rules.get(spec.client_id)
    created = old.created_at if old is not None else now
    rules[spec.client_id] = IssuerClientRule(spec.client_id, subjects, created)
    return tuple(sorted(rules.values(), key=lambda r: r.client_id))


ENTRY_KEYS = frozenset({"issuer", "jwks_uri", "discovery", "subject_claim", "audience", "clients"})


def specs_of_entry(entry: dict[str, Any]) -> list[IssuerSpec]:
    """A ``trusted_issuers`` entry of an apply file: the issuer, then one spec per client
    rule (``clients: [{client_id, subjects}]``)."""
    for key in ("jwks_uri", "discovery", "subject_claim", "audience"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise AdminError(f"{key} must be a string")
    base = IssuerSpec(
        issuer=entry["issuer"],
        jwks_uri=entry.get("jwks_uri"),
        discovery_url=entry.get("discovery"),
        subject_claim=entry.get("subject_claim"),
        audience=entry.get("audience"),
    )
    rules = entry.get("clients") or []
    if not isinstance(rules, list):
        raise AdminError("clients must be a list of {client_id, subjects}")
    specs = [base]
    for rule in rules:
        if (
            not isinstance(rule, dict)
            or set(rule) != {"client_id", "subjects"}
            or not isinstance(rule["client_id"], str)
            or not isinstance(rule["subjects"], list)
            or not all(isinstance(s, str) for s in rule["subjects"])
        ):
            raise AdminError(
                "each of clients is {client_id: CLIENT, subjects: [VALUE, ...]}, nothing else"
            )
        specs.append(replace(base, client_id=rule["client_id"], subjects=rule["subjects"]))
    return specs
