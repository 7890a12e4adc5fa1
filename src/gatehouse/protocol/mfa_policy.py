"""Whether a sign-in needs a (further) factor, and which: the rules of multi-factor sign-in
and step-up (docs/mfa.md, docs/step-up.md).

``REQUIREMENT_RULES`` is an ordered tuple, like the authorization endpoint's steps: each rule
returns what the request requires of the methods used (the amr, RFC 8176), or None. A
requirement the methods already meet asks nothing. Otherwise ``factor_needed`` looks for a
second factor the person has that would meet every requirement (``verify``: a passkey for
``phr``, a device-bound one for ``phrh``), else one they can set up now (``enroll``: an
authenticator app), else refuses the request with ``unmet_authentication_requirements``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from gatehouse.accounts.assurance import acr_level, combined_amr
from gatehouse.accounts.second_factor import ANY, SecondFactorMethod, Sufficient
from gatehouse.errors import UnmetAuthenticationRequirements
from gatehouse.protocol.authorization import AuthorizationRequest
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, User

Methods = frozenset[str]


@dataclass(frozen=True)
class Requirement:
    reason: str
    met_by: Callable[[Methods], bool]


def _multi_factor(amr: Methods) -> bool:
    return "mfa" in amr


RequirementRule = Callable[[Provider, Client, AuthorizationRequest], Requirement | None]


def tenant_requires_mfa(
    provider: Provider, client: Client, request: AuthorizationRequest
) -> Requirement | None:
    """The tenant's policy ``mfa=required``: every sign-in needs two factors."""
    if provider.policy.get().mfa == "required":
        return Requirement("this organisation requires a second factor", _multi_factor)
    return None


def client_requires_mfa(
    provider: Provider, client: Client, request: AuthorizationRequest
) -> Requirement | None:
    """A client registered with require_mfa: every sign-in to it needs two factors."""
    if client.require_mfa:
        return Requirement(f"{client.name} requires a second factor", _multi_factor)
    return None


def request_asks_for_acr(
    provider: Provider, client: Client, request: AuthorizationRequest
) -> Requirement | None:
    """OIDC Core §3.1.2.1 acr_values: one of the classes asked for must be reached.
    Voluntary in the specification; gatehouse meets it or refuses (docs/step-up.md)."""
    levels = [level for v in request.acr_values if (level := acr_level(v)) is not None]
    if not levels:
        return None
    return Requirement(
        f"the application asks for {' or '.join(level.value for level in levels)}",
        lambda amr: any(level.reached_by(amr) for level in levels),
    )


REQUIREMENT_RULES: tuple[RequirementRule, ...] = (
    tenant_requires_mfa,
    client_requires_mfa,
    request_asks_for_acr,
)


@dataclass(frozen=True)
class FactorNeeded:
    kind: Literal["verify", "enroll"]
    reason: str
    # verify: the methods the person may answer with, in the registry's order, and whether
    # what a method proves is enough (a passkey's methods depend on the passkey).
    methods: tuple[SecondFactorMethod, ...] = ()
    sufficient: Sufficient = ANY


def factor_needed(
    provider: Provider,
    client: Client,
    request: AuthorizationRequest,
    user: User,
    amr: tuple[str, ...],
    *,
    signing_in: bool,
) -> FactorNeeded | None:
    """What ``user``, having used the methods ``amr``, must still do for ``request``; None
    when nothing. ``signing_in``: the methods were just used to sign in (not a live
    session's), and then a person who set up a second factor is always asked for it:
    otherwise setting one up would protect nothing."""
    have = frozenset(amr)
    unmet = [
        requirement
        for rule in REQUIREMENT_RULES
        if (requirement := rule(provider, client, request)) is not None
        and not requirement.met_by(have)
    ]
    if not unmet and not (signing_in and not _multi_factor(have)):
        return None  # the common case, a live session that is enough: no lookups
    enrolled = tuple(m for m in provider.second_factor_methods if m.enrolled(user.id))
    if signing_in and enrolled and not _multi_factor(have):
        unmet.append(Requirement("you have set up a second factor", _multi_factor))
    if not unmet:
        return None

    def enough(extra: tuple[str, ...]) -> bool:
        combined = frozenset(combined_amr(amr, extra))
        return all(requirement.met_by(combined) for requirement in unmet)

    reason = unmet[0].reason
    usable = tuple(m for m in provider.second_factor_methods if m.usable(user.id, enough))
    if usable:
        return FactorNeeded("verify", reason, usable, enough)
    if not provider.totp.is_confirmed(user.id) and enough(provider.totp.amr):
        return FactorNeeded("enroll", reason)
    raise request.refuse(
        UnmetAuthenticationRequirements(
            f"{reason}, which none of this person's sign-in methods can reach"
        )
    )
