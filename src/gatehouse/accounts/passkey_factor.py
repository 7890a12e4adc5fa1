"""A passkey (or security key) as the second factor after a password, and for step-up: the
WebAuthn ``SecondFactorMethod``.

The verification page offers the person's own passkeys (WebAuthn §7.2 allowCredentials),
only those whose methods are enough for the sign-in (a device-bound one for ``phrh``); the
challenge is bound to the paused sign-in. User verification is "preferred": after a
password, possession of the key is the second factor; when the authenticator also verified
the person, the amr says so ("pin").

Having a passkey does not by itself make a password sign-in ask for it (``enrolled``): the
tenant's or the application's policy, or acr_values, do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gatehouse.accounts.passkeys import AuditContext, PasskeyService, passkey_methods
from gatehouse.accounts.second_factor import AnswerProblem, InvalidAnswer, Sufficient
from gatehouse.accounts.webauthn import PasskeyRejected
from gatehouse.storage.records import Passkey, User

#: The form field that carries the browser's PublicKeyCredential JSON (web/static/passkeys.js).
CREDENTIAL_FIELD = "credential"
# A WebAuthn assertion is a few kilobytes at most (a credential id is at most 1023 bytes).
MAX_ANSWER = 16 * 1024


class PasskeyFactor:
    """The person's passkeys as a second factor (``SecondFactorMethod``)."""

    name: str = "webauthn"
    label: str = "Passkey or security key"
    wrong_answer: AnswerProblem = AnswerProblem.PASSKEY_NOT_ACCEPTED

    def __init__(self, passkeys: PasskeyService) -> None:
        self._passkeys = passkeys

    def _fitting(self, user_id: str, sufficient: Sufficient) -> list[Passkey]:
        # What every use of a passkey proves at least (without user verification).
        return [p for p in self._passkeys.list(user_id) if sufficient(passkey_methods(p, False))]

    def enrolled(self, user_id: str) -> bool:
        # A passkey is first a way to sign in without a password; having one does not make
        # every password sign-in ask for it (there are no recovery codes for a lost one).
        # It is asked for where the policy or the application requires a second factor.
        return False

    def usable(self, user_id: str, sufficient: Sufficient) -> bool:
        return bool(self._fitting(user_id, sufficient))

    def offer(self, user: User, binding: str, now: int, sufficient: Sufficient) -> dict[str, Any]:
        # ``binding`` is the paused sign-in, which only the browser it is bound to can load
        # (protocol/interaction.py): the challenge is bound to both through it.
        options = self._passkeys.authentication_options(
            binding,
            now,
            interaction_hash=binding,
            user=user,
            user_verification="preferred",
            allow=self._fitting(user.id, sufficient),
        )
        return {"options": options}

    def verify(
        self,
        user: User,
        answer: Mapping[str, str],
        binding: str,
        now: int,
        sufficient: Sufficient,
        context: AuditContext,
    ) -> tuple[str, ...] | None:
        response = _credential(answer.get(CREDENTIAL_FIELD))
        try:
            verified = self._passkeys.verify_assertion(
                response,
                binding,
                now,
                interaction_hash=binding,
                context=context,
                user=user,
                require_user_verification=False,
            )
        except PasskeyRejected:
            return None  # recorded as passkey.failed; a wrong factor for the sign-in
        # Only passkeys that are enough were offered; another one of the person's is not.
        return verified.methods if sufficient(verified.methods) else None


def _credential(text: str | None) -> dict[str, Any]:
    if not text:
        raise InvalidAnswer(AnswerProblem.NO_PASSKEY_ANSWER)
    if len(text) > MAX_ANSWER:
        raise InvalidAnswer(AnswerProblem.PASSKEY_ANSWER_TOO_LARGE)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidAnswer(AnswerProblem.NO_PASSKEY_ANSWER)
    return value
