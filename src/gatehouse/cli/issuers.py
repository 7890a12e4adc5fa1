"""`gatehouse issuer`: trusted external issuers, whose tokens gatehouse accepts (the JWT
bearer grant for workloads; docs/workload-identity.md)."""

from __future__ import annotations

from typing import Any

import click

from gatehouse.admin import issuers as issuer_admin
from gatehouse.cli.options import database_option
from gatehouse.cli.output import emit
from gatehouse.runtime import Runtime


@click.group()
def issuer() -> None:
    """Trusted external issuers (CI systems, clouds, other identity providers)."""


@issuer.command("trust")
@click.argument("issuer_id", metavar="ISSUER")
@click.option("--jwks-uri", help="Where the issuer publishes its JWK Set.")
@click.option(
    "--discovery",
    "discovery_url",
    metavar="URL",
    help="The issuer's discovery document (…/.well-known/openid-configuration), which names "
    "its jwks_uri.",
)
@click.option(
    "--subject-claim", metavar="CLAIM", help="The claim that names the subject (usually sub)."
)
@click.option(
    "--audience",
    metavar="AUD",
    help="What the tokens' aud must contain (default: gatehouse's token endpoint or issuer "
    'URL); "" removes it.',
)
@click.option(
    "--client",
    "client_id",
    metavar="CLIENT",
    help="A client a subject of this issuer may act as with the JWT bearer grant.",
)
@click.option(
    "--subject",
    "subjects",
    multiple=True,
    metavar="VALUE",
    help="With --client (repeatable): an exact subject value allowed to act as it; the list "
    "replaces the client's earlier one.",
)
@database_option
def issuer_trust(runtime: Runtime, issuer_id: str, **opts: Any) -> None:
    """Trust ISSUER's tokens, or change how they are checked."""
    spec = issuer_admin.IssuerSpec(
        issuer=issuer_id,
        jwks_uri=opts["jwks_uri"],
        discovery_url=opts["discovery_url"],
        subject_claim=opts["subject_claim"],
        audience=opts["audience"],
        client_id=opts["client_id"],
        subjects=list(opts["subjects"]) or None,
    )
    result, _changed = issuer_admin.trust_issuer(runtime, spec)
    emit(result)


@issuer.command("list")
@database_option
def issuer_list(runtime: Runtime) -> None:
    emit(issuer_admin.list_issuers(runtime))


@issuer.command("show")
@click.argument("issuer_id", metavar="ISSUER")
@database_option
def issuer_show(runtime: Runtime, issuer_id: str) -> None:
    emit(issuer_admin.show_issuer(runtime, issuer_id))


@issuer.command("distrust")
@click.argument("issuer_id", metavar="ISSUER")
@click.option("--client", "client_id", metavar="CLIENT", help="Remove only this client's rule.")
@database_option
def issuer_distrust(runtime: Runtime, issuer_id: str, client_id: str | None) -> None:
    """Stop trusting ISSUER (or, with --client, stop letting its subjects act as CLIENT)."""
    emit(issuer_admin.distrust_issuer(runtime, issuer_id, client_id))
