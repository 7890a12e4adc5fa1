"""Second factors as plug-ins: each method (TOTP, recovery codes, and at merge WebAuthn)
says whether a person has it, what the verification page needs to offer it, and checks an
answer. The sign-in (protocol/signin.py) and the pages never name a method: they go
through the registry (``Provider.second_factor_methods``, built in runtime.py).

To add a method: implement ``SecondFactorMethod``, add a template
``web/templates/mfa/offer_<name>.html`` that renders its part of the verification form
(posting ``method=<name>`` and its answer fields), and add it to the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from gatehouse.storage.records import User


class InvalidAnswer(ValueError):
    """An answer that cannot be checked at all (empty, too long, not digits): the message
    tells the person what to type. It does not count as a wrong answer."""


class SecondFactorMethod(Protocol):
    #: The form's ``method`` value, the audit events' ``method`` and the template's name.
    name: str
    #: What the person sees ("Authenticator app").
    label: str
    #: RFC 8176 values this method adds to the session's amr when verified.
    amr: tuple[str, ...]

    def enrolled(self, user_id: str) -> bool:
        """Whether the person can use this method now."""

    def offer(self, user: User, binding: str) -> dict[str, Any]:
        """What the verification page needs to offer the method (a WebAuthn challenge,
        stored against ``binding``: the interaction or session it is for). {} for none."""

    def verify(self, user: User, answer: Mapping[str, str], binding: str, now: int) -> bool:
        """Whether ``answer`` (the form's fields) proves this factor. True spends it
        where it is one-time. Raises ``InvalidAnswer`` when it cannot be checked."""
