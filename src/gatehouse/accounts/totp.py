"""Time-based one-time passwords (RFC 6238) from an authenticator app: enrolment (a secret
made here, shown once as a QR code and as text, counting only after a first valid code) and
verification (one step of clock drift either way, each code accepted once).

The secret is stored encrypted under the key-encryption key (keys/encryption.py), bound to
its user, so a copy of the database alone does not give the codes away.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyotp

from gatehouse.accounts.passkeys import AuditContext
from gatehouse.accounts.second_factor import AnswerProblem, InvalidAnswer, Sufficient
from gatehouse.crypto import constant_time_equals
from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.storage.records import TotpAuthenticator, User
from gatehouse.storage.repositories import SecondFactorRepository

DIGITS = 6
PERIOD = 30  # seconds per time step (RFC 6238 §5.2 recommends 30)
# RFC 6238 §5.2: accept the codes of one step before and after, for clocks that drift and
# codes typed as the step changes; not more: every step accepted is a guess more.
DRIFT_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits, RFC 4226 §4's recommended length
CODE_FIELD = "code"
MAX_ANSWER = 64


def parse_code(text: str | None) -> str:
    """The six digits the person typed (spaces between them are fine), or InvalidAnswer."""
    code = "".join((text or "")[:MAX_ANSWER].split())
    if not code:
        raise InvalidAnswer(AnswerProblem.NO_CODE)
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        raise InvalidAnswer(AnswerProblem.CODE_NOT_SIX_DIGITS)
    return code


def matching_step(secret: str, code: str, now: int) -> int | None:
    """The time step within the drift window whose code is ``code``, or None. Every step is
    compared, in constant time, so the timing does not say which one matched."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = now // PERIOD
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if constant_time_equals(totp.generate_otp(step), code):
            found = step
    return found


def _associated_data(user_id: str) -> str:
    return f"totp:{user_id}"


@dataclass(frozen=True)
class TotpEnrolment:
    """What the enrolment page shows: the secret as text and as an otpauth:// URI."""

    secret: str
    uri: str


class Totp:
    """TOTP authenticators: enrolment and the second-factor method (``SecondFactorMethod``)."""

    name: str = "totp"
    label: str = "Authenticator app"
    amr: tuple[str, ...] = ("otp",)
    wrong_answer: AnswerProblem = AnswerProblem.WRONG_CODE

    def __init__(self, repository: SecondFactorRepository, encryptor: KeyEncryptor) -> None:
        self._repository = repository
        self._encryptor = encryptor

    def _secret(self, authenticator: TotpAuthenticator) -> str:
        plain = self._encryptor.decrypt(
            authenticator.secret_encrypted, kid=_associated_data(authenticator.user_id)
        )
        return plain.decode("ascii")

    # -- enrolment ------------------------------------------------------------------------

    def start_enrolment(self, user: User, issuer_name: str, now: int) -> TotpEnrolment | None:
        """The pending enrolment of ``user`` (the same secret until it is confirmed, so a
        reload shows the same QR code), or a new one; None when the person already has a
        confirmed authenticator (one per person: remove it first)."""
        existing = self._repository.totp(user.id)
        if existing is not None and existing.confirmed_at is not None:
            return None
        if existing is not None:
            secret = self._secret(existing)
        else:
            secret = pyotp.random_base32(SECRET_LENGTH)
            kid = _associated_data(user.id)
            encrypted = self._encryptor.encrypt(secret.encode("ascii"), kid=kid)
            self._repository.start_totp(TotpAuthenticator(user.id, encrypted, now, None, None))
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(
            name=user.username, issuer_name=issuer_name
        )
        return TotpEnrolment(secret, uri)

    def confirm_enrolment(self, user_id: str, answer: str | None, now: int) -> bool:
        """Confirm the pending enrolment with a first valid code (InvalidAnswer when the
        answer is no code); False for a wrong code or no pending enrolment."""
        code = parse_code(answer)
        pending = self._repository.totp(user_id)
        if pending is None or pending.confirmed_at is not None:
            return False
        step = matching_step(self._secret(pending), code, now)
        return step is not None and self._repository.confirm_totp(user_id, step, now)

    def is_confirmed(self, user_id: str) -> bool:
        found = self._repository.totp(user_id)
        return found is not None and found.confirmed_at is not None

    # -- the second-factor method ---------------------------------------------------------

    def enrolled(self, user_id: str) -> bool:
        return self.is_confirmed(user_id)

    def usable(self, user_id: str, sufficient: Sufficient) -> bool:
        return sufficient(self.amr) and self.enrolled(user_id)

    def offer(self, user: User, binding: str, now: int, sufficient: Sufficient) -> dict[str, Any]:
        return {}

    def verify(
        self,
        user: User,
        answer: Mapping[str, str],
        binding: str,
        now: int,
        sufficient: Sufficient,
        context: AuditContext,
    ) -> tuple[str, ...] | None:
        code = parse_code(answer.get(CODE_FIELD))
        found = self._repository.totp(user.id)
        if found is None or found.confirmed_at is None:
            return None
        step = matching_step(self._secret(found), code, now)
        # RFC 6238 §5.2: a code, once accepted, is refused for the rest of its window: the
        # step must be later than the last accepted one (one conditional UPDATE).
        right = step is not None and self._repository.use_totp_step(user.id, step)
        return self.amr if right else None
