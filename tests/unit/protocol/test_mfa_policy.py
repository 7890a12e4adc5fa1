"""protocol/mfa_policy.py: whether a sign-in needs a further factor and which, one row per
combination of what is required (tenant, client, acr_values), what the person has set up,
and what they have used (docs/mfa.md, docs/step-up.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from gatehouse.accounts.assurance import ACR_MFA, ACR_PASSWORD, ACR_PHR, ACR_PHRH
from gatehouse.admin.policy import set_policy
from gatehouse.errors import UnmetAuthenticationRequirements
from gatehouse.protocol.authorization import AuthorizationRequest
from gatehouse.protocol.mfa_policy import factor_needed
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Passkey, User
from tests.support.mfa import enrol_totp
from tests.unit.protocol.conftest import register

PASSWORD = ("pwd",)
PASSWORD_AND_CODE = ("pwd", "otp", "mfa")


@dataclass(frozen=True)
class Case:
    tenant_requires: bool = False
    client_requires: bool = False
    acr_values: tuple[str, ...] = ()
    has: tuple[str, ...] = ()  # "totp", "synced passkey", "device-bound passkey"
    amr: tuple[str, ...] = PASSWORD
    signing_in: bool = True


# (case, expected): None (nothing more), ("verify", methods offered, reason), ("enroll",
# reason), or "refused".
CASES = {
    "password only, nothing required": (Case(), None),
    "an app set up is always asked for at sign-in": (
        Case(has=("totp",)),
        ("verify", ("totp", "recovery_code"), "you have set up a second factor"),
    ),
    "a live password session is not asked again": (Case(has=("totp",), signing_in=False), None),
    "a passkey alone does not make a password sign-in ask for it": (
        Case(has=("synced passkey",)),
        None,
    ),
    "the tenant requires it, nothing set up: enrol": (
        Case(tenant_requires=True),
        ("enroll", "this organisation requires a second factor"),
    ),
    "the client requires it, nothing set up: enrol": (
        Case(client_requires=True),
        ("enroll", "Web requires a second factor"),
    ),
    "the client requires it, a passkey is offered": (
        Case(client_requires=True, has=("synced passkey",)),
        ("verify", ("webauthn",), "Web requires a second factor"),
    ),
    "required, and the session already has two factors": (
        Case(tenant_requires=True, amr=PASSWORD_AND_CODE, signing_in=False),
        None,
    ),
    "acr password is met by a password": (Case(acr_values=(ACR_PASSWORD,)), None),
    "acr mfa is met by a code": (Case(acr_values=(ACR_MFA,), amr=PASSWORD_AND_CODE), None),
    "acr mfa steps up a password session": (
        Case(acr_values=(ACR_MFA,), has=("totp",), signing_in=False),
        ("verify", ("totp", "recovery_code"), "the application asks for " + ACR_MFA),
    ),
    "acr phr: an app cannot reach it": (Case(acr_values=(ACR_PHR,), has=("totp",)), "refused"),
    "acr phr: a synced passkey can, only it is offered": (
        Case(acr_values=(ACR_PHR,), has=("totp", "synced passkey")),
        ("verify", ("webauthn",), "the application asks for phr"),
    ),
    "acr phr after a code: only the passkey is offered": (
        Case(acr_values=(ACR_PHR,), has=("totp", "synced passkey"), amr=PASSWORD_AND_CODE),
        ("verify", ("webauthn",), "the application asks for phr"),
    ),
    "acr phrh: a synced passkey cannot reach it": (
        Case(acr_values=(ACR_PHRH,), has=("synced passkey",)),
        "refused",
    ),
    "acr phrh: a device-bound passkey can": (
        Case(acr_values=(ACR_PHRH,), has=("synced passkey", "device-bound passkey")),
        ("verify", ("webauthn",), "the application asks for phrh"),
    ),
    "acr phr with nothing set up: an app would not do, refused": (
        Case(acr_values=(ACR_PHR,)),
        "refused",
    ),
    "either class will do: the first one named is the reason": (
        Case(acr_values=(ACR_PHRH, ACR_MFA), has=("totp",)),
        ("verify", ("totp", "recovery_code"), "the application asks for phrh or " + ACR_MFA),
    ),
}


def _passkey(user: User, n: int, synced: bool) -> Passkey:
    return Passkey(
        id=f"pk{n}",
        user_id=user.id,
        credential_id=f"credential-{n}",
        public_key=b"cose key",
        sign_count=0,
        transports=("internal",),
        aaguid="00000000-0000-0000-0000-000000000000",
        backup_eligible=synced,
        backed_up=synced,
        user_handle=f"handle-{n}",
        name=f"Key {n}",
        created_at=1_800_000_000,
    )


def _set_up(runtime: Runtime, user: User, has: tuple[str, ...]) -> None:
    for n, factor in enumerate(has):
        if factor == "totp":
            enrol_totp(runtime)
        else:
            runtime.store.passkeys.add(_passkey(user, n, synced=factor == "synced passkey"))


@pytest.mark.parametrize(("case", "expected"), list(CASES.values()), ids=list(CASES))
def test_what_a_sign_in_still_needs(
    runtime: Runtime,
    provider: Provider,
    alice: User,
    case: Case,
    expected: tuple[str, ...] | str | None,
) -> None:
    if case.tenant_requires:
        set_policy(runtime, ("mfa=required",), ())
    client = register(runtime, "web", name="Web", require_mfa=case.client_requires).client
    _set_up(runtime, alice, case.has)
    request = AuthorizationRequest(
        client_id="web", redirect_uri="https://app.example.com/cb", acr_values=case.acr_values
    )

    def needed() -> object:
        return factor_needed(provider, client, request, alice, case.amr, signing_in=case.signing_in)

    if expected == "refused":
        with pytest.raises(UnmetAuthenticationRequirements, match="none of this person's"):
            needed()
        return
    found = needed()
    if expected is None:
        assert found is None
    elif expected[0] == "verify":
        assert found is not None and found.kind == "verify"
        assert tuple(m.name for m in found.methods) == expected[1]
        assert found.reason == expected[2]
    else:
        assert found is not None and (found.kind, found.reason) == expected
