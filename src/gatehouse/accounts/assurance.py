"""How strongly a person authenticated: the methods used (``amr``, RFC 8176) and the
authentication context class they reach (``acr``, OIDC Core §2).

gatehouse defines four classes, weakest first (docs/step-up.md). The first two are its own;
``phr`` and ``phrh`` are the OpenID Enhanced Authentication Profile's (EAP ACR Values 1.0
§2), which passkeys reach:

- ``urn:gatehouse:acr:password``: one factor (a password);
- ``urn:gatehouse:acr:mfa``: two factors of different kinds (RFC 8176 ``mfa``), e.g. a
  password and an authenticator-app code, or a passkey with user verification;
- ``phr``: phishing-resistant multi-factor: a WebAuthn credential (``hwk`` or ``swk``) is
  among them;
- ``phrh``: the same with a hardware-bound key (``hwk``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

# RFC 8176 §2: each method value with the kind of factor it is (NIST SP 800-63B §5.1):
# something you know, something you have, something you are.
FACTOR_KINDS: Final[dict[str, str]] = {
    "pwd": "knowledge",
    "pin": "knowledge",
    "kba": "knowledge",
    "otp": "possession",
    "hwk": "possession",
    "swk": "possession",
    "sms": "possession",
    "tel": "possession",
    "sc": "possession",
    "fpt": "inherence",
    "face": "inherence",
    "iris": "inherence",
    "retina": "inherence",
    "vbm": "inherence",
}


def combined_amr(*parts: Iterable[str]) -> tuple[str, ...]:
    """The methods of ``parts`` together, in order and once each, with ``mfa`` added when
    factors of two different kinds are among them (RFC 8176 §2 ``mfa``)."""
    methods = tuple(dict.fromkeys(m for part in parts for m in part if m != "mfa"))
    kinds = {FACTOR_KINDS[m] for m in methods if m in FACTOR_KINDS}
    multi = len(kinds) >= 2 or any("mfa" in part for part in parts)
    return (*methods, "mfa") if multi else methods


ACR_PASSWORD: Final = "urn:gatehouse:acr:password"
ACR_MFA: Final = "urn:gatehouse:acr:mfa"
ACR_PHR: Final = "phr"
ACR_PHRH: Final = "phrh"
_WEBAUTHN = frozenset({"hwk", "swk"})


@dataclass(frozen=True)
class AcrLevel:
    value: str
    description: str
    reached_by: Callable[[frozenset[str]], bool]


ACR_LEVELS: Final[tuple[AcrLevel, ...]] = (
    AcrLevel(ACR_PASSWORD, "One factor: a password.", lambda amr: bool(amr)),
    AcrLevel(
        ACR_MFA,
        "Two factors of different kinds: a password and an authenticator-app code (or a "
        "recovery code), or a passkey with user verification.",
        lambda amr: "mfa" in amr,
    ),
    AcrLevel(
        ACR_PHR,
        "Phishing-resistant multi-factor (OpenID EAP): a passkey or security key among them.",
        lambda amr: "mfa" in amr and bool(amr & _WEBAUTHN),
    ),
    AcrLevel(
        ACR_PHRH,
        "Phishing-resistant and hardware-protected (OpenID EAP): a device-bound passkey or "
        "security key among them.",
        lambda amr: "mfa" in amr and "hwk" in amr,
    ),
)
SUPPORTED_ACR_VALUES: Final[tuple[str, ...]] = tuple(level.value for level in ACR_LEVELS)
_BY_VALUE: Final = {level.value: level for level in ACR_LEVELS}


def acr_level(value: str) -> AcrLevel | None:
    return _BY_VALUE.get(value)


def achieved_acr(amr: Iterable[str]) -> str | None:
    """The strongest class the methods reach; None when no method was used."""
    methods = frozenset(amr)
    reached = [level.value for level in ACR_LEVELS if level.reached_by(methods)]
    return reached[-1] if reached else None
