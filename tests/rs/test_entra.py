"""TokenValidator(entra=EntraClaims(...)): the Microsoft identity platform v2.0 claims of an
API of gatehouse's entra token profile (ver, tid, oid, scp), each rule with a case that
fails without it, against the real test issuer."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.rs import EntraClaims, InsufficientScope, InvalidToken, TokenValidator
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import IssuerState, SigningKey, claims_for

ENTRA = {"oid": "user-123", "tid": "contoso", "ver": "2.0", "azp": "web-app", "azpacr": "1"}


def entra_claims(issuer: IssuerState, **overrides: Any) -> dict[str, Any]:
    """A delegated token of the entra profile: scope and scp hold the same names."""
    values = {**ENTRA, "idtyp": "user", "scope": "orders.read", "scp": "orders.read", **overrides}
    return claims_for(issuer.url, **values)


@pytest.fixture
def entra(make_validator: MakeValidator) -> TokenValidator:
    return make_validator(entra=EntraClaims(["contoso", "fabrikam"]))


def test_a_delegated_token_reads_its_scopes_from_scp(
    issuer: IssuerState, entra: TokenValidator, es_key: SigningKey
) -> None:
    token = entra.validate(es_key.sign(entra_claims(issuer, scp="orders.read orders.write")))
    assert token.scopes == {"orders.read", "orders.write"}
    assert token.require_scopes("orders.write") is token
    with pytest.raises(InsufficientScope):
        token.require_scopes("orders.delete")
    assert (token.claims["oid"], token.claims["tid"]) == ("user-123", "contoso")


def test_an_app_only_token_has_roles_and_no_scopes(
    issuer: IssuerState, entra: TokenValidator, es_key: SigningKey
) -> None:
    claims = entra_claims(
        issuer, sub="daemon", oid="daemon", idtyp="app", scope=None, scp=None, roles=["Export"]
    )
    token = entra.validate(es_key.sign(claims))
    assert token.scopes == frozenset() and token.roles == {"Export"}
    assert token.require_roles("Export") is token


def test_without_the_option_scopes_come_from_scope(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    """An API that does not ask for Entra's rules reads RFC 9068's scope, as before."""
    token = validator.validate(es_key.sign(entra_claims(issuer, scope="a b", scp="c")))
    assert token.scopes == {"a", "b"}
    assert validator.validate(es_key.sign(claims_for(issuer.url))).scopes == {
        "openid",
        "orders.read",
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ver": None}, "the token's ver is None, not '2.0'"),
        ({"ver": "1.0"}, "the token's ver is '1.0', not '2.0'"),
        ({"tid": None}, "the token has no tid claim"),
        ({"tid": "northwind"}, "the token is from tenant 'northwind', which this API does not"),
        ({"tid": ["contoso"]}, "the token has no tid claim"),
        ({"oid": None}, "the token has no oid claim"),
        ({"oid": ""}, "the token has no oid claim"),
        ({"scp": ["orders.read"]}, "the token's scp claim is not a space-separated string"),
    ],
)
def test_each_entra_rule_refuses_a_token(
    issuer: IssuerState,
    entra: TokenValidator,
    validator: TokenValidator,
    es_key: SigningKey,
    overrides: dict[str, Any],
    message: str,
) -> None:
    raw = es_key.sign(entra_claims(issuer, **overrides))
    with pytest.raises(InvalidToken) as caught:
        entra.validate(raw)
    assert message in caught.value.description
    validator.validate(raw)  # RFC 9068 alone accepts it: the rule is the Entra option's


def test_the_rfc_9068_rules_still_apply(
    issuer: IssuerState, entra: TokenValidator, es_key: SigningKey
) -> None:
    with pytest.raises(InvalidToken, match="no client_id"):
        entra.validate(es_key.sign(entra_claims(issuer, client_id=None)))


@pytest.mark.parametrize("tenants", [[], [""], "", [None]])
def test_the_tenants_must_be_named(tenants: Any) -> None:
    with pytest.raises(ValueError, match="tenants must be one or more"):
        EntraClaims(tenants)


def test_one_tenant_may_be_given_as_a_string() -> None:
    assert EntraClaims("contoso").tenants == frozenset({"contoso"})
