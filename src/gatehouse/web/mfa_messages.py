"""The words of the second-factor pages for what the lower layers return as codes: what
was wrong with an answer (accounts/second_factor.py ``AnswerProblem``), a change asked of an
authenticator app there is none of (protocol/enrolment.py ``NoAuthenticator``). The pages
show them with ``{{ _(message) }}``, in the person's language. Brute-force protection's wait
is worded by the templates themselves (templates/_too_many_attempts.html), plurals and all, and what
passkeys.js says by the pages that load it (templates/_passkeys_script.html)."""

from __future__ import annotations

from gatehouse.accounts.second_factor import AnswerProblem
from gatehouse.protocol.enrolment import NoAuthenticator
from gatehouse.web.i18n import N_, Translatable

ANSWER_PROBLEMS: dict[AnswerProblem, Translatable] = {
    AnswerProblem.WRONG_CODE: N_(
        "That code is not right, or it was already used. Try the newest code."
    ),
    AnswerProblem.PASSKEY_NOT_ACCEPTED: N_(
        "That passkey could not be used: it is not one of yours here, or the request expired. "
        "Try again."
    ),
    AnswerProblem.FIRST_CODE_WRONG: N_(
        "That code is not right. Check the app shows gatehouse, then type the newest code."
    ),
    AnswerProblem.NO_SUCH_METHOD: N_("Choose one of the ways below."),
    AnswerProblem.NO_CODE: N_("Enter the 6-digit code from your authenticator app."),
    AnswerProblem.CODE_NOT_SIX_DIGITS: N_(
        "The code is 6 digits, like 123456. Type it without letters."
    ),
    AnswerProblem.NO_RECOVERY_CODE: N_("Enter one of your recovery codes."),
    AnswerProblem.RECOVERY_CODE_MALFORMED: N_(
        "A recovery code has 16 letters and digits, like 7f3k-q9mx-2c4b-h8vd."
    ),
    AnswerProblem.NO_PASSKEY_ANSWER: N_(
        "Use the passkey button, then follow your browser's prompt."
    ),
    AnswerProblem.PASSKEY_ANSWER_TOO_LARGE: N_("The passkey's answer is too large. Try again."),
}

NO_AUTHENTICATOR: dict[NoAuthenticator, Translatable] = {
    NoAuthenticator.RENEW: N_("Set up an authenticator app first."),
    NoAuthenticator.REMOVE: N_("No authenticator app is set up."),
}


def problem_message(problem: AnswerProblem | NoAuthenticator | None) -> Translatable | None:
    """What a page says about ``problem``; None for none."""
    if problem is None:
        return None
    if isinstance(problem, NoAuthenticator):
        return NO_AUTHENTICATOR[problem]
    return ANSWER_PROBLEMS[problem]
