"""The parts of the account page's Security section, in the order they are shown.

Each part is a template under templates/account/ and a function that loads what it shows
(run in a request thread; its values reach the template as ``section``). A feature with a
part of its own (a second factor, passkeys) adds one entry here and its template; the
template links to the feature's own pages and calls ``require_recent_sign_in``
(protocol/account/signin.py) before anything it removes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gatehouse.protocol.account.holder import AccountHolder
from gatehouse.protocol.provider import Provider

Loader = Callable[[Provider, AccountHolder], Mapping[str, Any]]


def _nothing(provider: Provider, holder: AccountHolder) -> Mapping[str, Any]:
    return {}


def _password(provider: Provider, holder: AccountHolder) -> Mapping[str, Any]:
    return {"min_length": provider.policy.get().password_min_length}


def _second_factor(provider: Provider, holder: AccountHolder) -> Mapping[str, Any]:
    user_id = holder.user.id
    return {
        "totp": provider.totp.is_confirmed(user_id),
        "recovery_codes_left": provider.recovery_codes.left(user_id),
    }


def _passkeys(provider: Provider, holder: AccountHolder) -> Mapping[str, Any]:
    return {"count": len(provider.passkeys.list(holder.user.id))}


@dataclass(frozen=True)
class SecuritySection:
    template: str
    load: Loader = field(default=_nothing)


SECURITY_SECTIONS: tuple[SecuritySection, ...] = (
    SecuritySection("account/password.html", _password),
    SecuritySection("account/passkeys.html", _passkeys),
    SecuritySection("account/two_step.html", _second_factor),
    SecuritySection("account/sessions.html"),
)


def load_security_sections(
    provider: Provider, holder: AccountHolder
) -> list[tuple[str, Mapping[str, Any]]]:
    """(template, values) of each part of the Security section."""
    return [(section.template, section.load(provider, holder)) for section in SECURITY_SECTIONS]
