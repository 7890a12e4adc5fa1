"""tenancy.py's rules for multi-tenant applications (docs/multi-tenant-apps.md): the routing
prefix of codes and refresh tokens (``routed``/``route_of``), the tenants' email domains
(``check_domain``, ``domain_of``, the profile's ``domains``), and which tenants the
``common`` and ``organizations`` authorities span."""

from __future__ import annotations

import pytest

from gatehouse.tenancy import (
    COMMON,
    DEFAULT_TENANT,
    MAX_DOMAINS,
    ORGANIZATIONS,
    ProfileError,
    TenantProfile,
    check_domain,
    domain_of,
    route_of,
    routed,
    spans,
)

RANDOM = "Zm9vYmFyLWJhei1xdXV4LTEyMzQ1Njc4OTAtX2FiY2Q"  # what random_token() looks like

# -- routed / route_of -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenant", "handed_out"),
    [
        (DEFAULT_TENANT, RANDOM),  # the default tenant's are exactly as before tenants
        ("acme", f"acme.{RANDOM}"),
        ("a", f"a.{RANDOM}"),
        ("acme-corp-2", f"acme-corp-2.{RANDOM}"),
        ("x" * 63, f"{'x' * 63}.{RANDOM}"),
    ],
)
def test_routed_prefixes_every_tenant_but_the_default_one(tenant: str, handed_out: str) -> None:
    assert routed(tenant, RANDOM) == handed_out
    assert route_of(handed_out) == tenant


@pytest.mark.parametrize(
    ("value", "tenant"),
    [
        # A prefix is read up to the first dot: the random part may not be base64url.
        (f"acme.{RANDOM}.more", "acme"),
        ("acme.", "acme"),
        # Not a tenant's name: unroutable, never another tenant's.
        ("", None),
        (".abc", None),
        ("..abc", None),
        ("Acme.abc", None),
        ("ACME.abc", None),
        ("acme%2e.abc", None),
        ("ac/me.abc", None),
        ("../acme.abc", None),
        ("-acme.abc", None),
        ("xn--acme-9fa.abc", None),
        ("\u0430cme.abc", None),  # a Cyrillic a (U+0430)
        ("acme\u200b.abc", None),  # a zero-width space
        ("acme .abc", None),
        (f"{'x' * 64}.abc", None),
        (f"{'x' * 100_000}.abc", None),
        # Never a prefix: the default tenant's values have none, and the authorities are
        # not tenants.
        (f"default.{RANDOM}", None),
        (f"common.{RANDOM}", None),
        (f"organizations.{RANDOM}", None),
        # A name that could be a tenant's, whether or not one exists: the authority's token
        # endpoint then asks the tenants (protocol/common_authority.py), and a code of
        # another tenant fails at that tenant's token endpoint as invalid_grant.
        (f"nope.{RANDOM}", "nope"),
        (f"token.{RANDOM}", "token"),
    ],
)
def test_route_of_hostile_values(value: str, tenant: str | None) -> None:
    assert route_of(value) == tenant


def test_a_default_tenant_value_has_no_dot() -> None:
    assert "." not in routed(DEFAULT_TENANT, RANDOM)
    assert route_of(RANDOM) == DEFAULT_TENANT
    assert route_of("x" * 100_000) == DEFAULT_TENANT


# -- spans -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "tenant", "spanned"),
    [
        (COMMON, DEFAULT_TENANT, True),
        (COMMON, "acme", True),
        (ORGANIZATIONS, DEFAULT_TENANT, False),
        (ORGANIZATIONS, "acme", True),
        ("consumers", "acme", False),  # reserved, not an authority gatehouse serves
        ("acme", "acme", False),  # a tenant is not an authority
        ("", "acme", False),
        ("Common", "acme", False),
    ],
)
def test_spans(authority: str, tenant: str, spanned: bool) -> None:
    assert spans(authority, tenant) is spanned


# -- domains ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("acme.example", "acme.example"),
        ("ACME.Example", "acme.example"),
        ("acme.example.", "acme.example"),  # the root's dot of a fully qualified name
        ("mail.acme.co.uk", "mail.acme.co.uk"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),  # bücher.example, encoded
        ("a1-b2.example", "a1-b2.example"),
        (f"{'a' * 63}.example", f"{'a' * 63}.example"),
    ],
)
def test_check_domain_accepts(given: str, stored: str) -> None:
    assert check_domain(given) == stored


@pytest.mark.parametrize(
    ("given", "rule"),
    [
        ("", "not a domain name"),
        ("localhost", "not a domain name"),  # one label
        ("acme.example..", "not a domain name"),  # one root dot, not two
        (".acme.example", "not a domain name"),
        ("acme..example", "not a domain name"),
        ("-acme.example", "not a domain name"),
        ("acme-.example", "not a domain name"),
        ("ac_me.example", "not a domain name"),
        ("acme example.com", "not a domain name"),
        ("acme.example/path", "not a domain name"),
        ("alice@acme.example", "not a domain name"),
        (f"{'a' * 64}.example", "not a domain name"),
        (".".join(["a" * 60] * 5), "not a domain name"),  # over 253 characters
        ("bücher.example", "not ASCII"),
        ("\u0430cme.example", "not ASCII"),  # a Cyrillic a (U+0430): looks like acme.example
        ("\uff41cme.example", "not ASCII"),  # a fullwidth a
        ("\u212acme.example", "not ASCII"),  # the Kelvin sign, which lower() makes a k
        ("\u0130stanbul.example", "not ASCII"),  # a dotted capital I
        ("acme.example\u200b", "not ASCII"),
    ],
)
def test_check_domain_refuses(given: str, rule: str) -> None:
    with pytest.raises(ValueError, match=rule):
        check_domain(given)


@pytest.mark.parametrize(
    ("login", "domain"),
    [
        ("alice@acme.example", "acme.example"),
        ("  Alice@ACME.example  ", "acme.example"),
        ("alice@acme.example.", "acme.example"),
        ('"a@b"@acme.example', "acme.example"),  # the domain follows the last @
        ("@acme.example", "acme.example"),
        ("alice", None),
        ("alice@", None),
        ("alice@localhost", None),
        ("alice@\u0430cme.example", None),
        ("alice@\u212acme.example", None),
        ("alice@acme.example@", None),
        ("alice@acme example", None),
        ("alice@" + "a" * 100_000 + ".example", None),
        ("", None),
    ],
)
def test_domain_of(login: str, domain: str | None) -> None:
    assert domain_of(login) == domain


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("acme.example", ("acme.example",)),
        (" acme.example , acme-corp.example ", ("acme.example", "acme-corp.example")),
        ("acme.example,ACME.example,acme.example.", ("acme.example",)),  # one, once
        ("acme.example,,", ("acme.example",)),
        (",".join(f"d{i}.example" for i in range(MAX_DOMAINS)), None),  # exactly the limit
    ],
)
def test_profile_domains(value: str, stored: tuple[str, ...] | None) -> None:
    profile = TenantProfile().with_changes({"domains": value})
    expected = stored or tuple(f"d{i}.example" for i in range(MAX_DOMAINS))
    assert profile.domains == expected
    assert TenantProfile.from_stored(profile.as_stored()) == profile


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (",".join(f"d{i}.example" for i in range(MAX_DOMAINS + 1)), "at most 50 domains"),
        ("acme.example,localhost", "'localhost' is not a domain name"),
        ("acme.example,\u0430cme.example", "is not ASCII"),
    ],
)
def test_profile_domains_refused(value: str, message: str) -> None:
    with pytest.raises(ProfileError, match=f"domains: .*{message}"):
        TenantProfile().with_changes({"domains": value})


def test_an_empty_domains_value_is_no_domains() -> None:
    assert TenantProfile().with_changes({"domains": " , "}).domains is None
