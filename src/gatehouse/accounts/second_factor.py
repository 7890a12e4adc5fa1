"""Second factors as plug-ins: each method (a passkey, TOTP, recovery codes) says whether a
person has it, what the verification page needs to offer it, and checks an answer. The
sign-in (protocol/signin.py) and the pages never name a method: they go through the registry
(``Provider.second_factor_methods``, built in runtime.py).

To add a method: implement ``SecondFactorMethod``, add a template
``web/templates/mfa/offer_<name>.html`` that renders its part of the verification form
(posting ``method=<name>`` and its answer fields), give any new ``AnswerProblem`` its
words in web/mfa_messages.py, and add it to the registry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from gatehouse.accounts.passkeys import AuditContext
from gatehouse.storage.records import User

#: Whether the RFC 8176 values a factor would add are enough for the sign-in at hand (built by
#: protocol/mfa_policy.py): a method offers, and accepts, only what is enough. A method whose
#: values depend on the credential (a synced or a device-bound passkey) asks per credential.
Sufficient = Callable[[tuple[str, ...]], bool]
ANY: Final[Sufficient] = lambda amr: True  # noqa: E731 - a constant predicate


class AnswerProblem(enum.Enum):
    """What was wrong with an answer to a second factor: a code, not words, so that the
    pages say it in the person's language (web/mfa_messages.py has the words)."""

    # Checked and wrong (or a code already used).
    WRONG_CODE = "wrong_code"
    PASSKEY_NOT_ACCEPTED = "passkey_not_accepted"
    # The first code of an enrolment, wrong: is the app showing gatehouse's account?
    FIRST_CODE_WRONG = "first_code_wrong"
    # The answer chose none of the methods offered.
    NO_SUCH_METHOD = "no_such_method"
    # Answers that cannot be checked at all (``InvalidAnswer``): what to type instead.
    NO_CODE = "no_code"
    CODE_NOT_SIX_DIGITS = "code_not_six_digits"
    NO_RECOVERY_CODE = "no_recovery_code"
    RECOVERY_CODE_MALFORMED = "recovery_code_malformed"
    NO_PASSKEY_ANSWER = "no_passkey_answer"
    PASSKEY_ANSWER_TOO_LARGE = "passkey_answer_too_large"


class InvalidAnswer(ValueError):
    """An answer that cannot be checked at all (empty, too long, not digits): ``problem``
    says what the person should type. It does not count as a wrong answer."""

    def __init__(self, problem: AnswerProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


class SecondFactorMethod(Protocol):
    #: The form's ``method`` value, the audit events' ``method`` and the template's name.
    name: str
    #: What the person sees ("Authenticator app").
    label: str
    #: What the verification page says after a wrong answer.
    wrong_answer: AnswerProblem

    def enrolled(self, user_id: str) -> bool:
        """Whether the person set this method up as a second step of every sign-in (then a
        password alone is never enough for them)."""

    def usable(self, user_id: str, sufficient: Sufficient) -> bool:
        """Whether the person has this method in a form that is ``sufficient``."""

    def offer(self, user: User, binding: str, now: int, sufficient: Sufficient) -> dict[str, Any]:
        """What the verification page needs to offer the method (a WebAuthn challenge,
        stored against ``binding``: the interaction or session it is for). {} for none."""

    def verify(
        self,
        user: User,
        answer: Mapping[str, str],
        binding: str,
        now: int,
        sufficient: Sufficient,
        context: AuditContext,
    ) -> tuple[str, ...] | None:
        """The RFC 8176 values ``answer`` (the form's fields) proves, when it proves this
        factor in a ``sufficient`` form (spending it where it is one-time); None when it
        does not. Raises ``InvalidAnswer`` when it cannot be checked. ``context``: where the
        answer comes from, for the events a method records itself (a passkey's)."""
