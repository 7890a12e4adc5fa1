"""What the self-service pages tell a person, in their language: what is wrong with a field
of a form (accounts/identifiers.py; a refused password, accounts/passwords.py, is worded by
templates/_password_problem.html), and why a link from an email
cannot be used (accounts/selfservice/service.py ``LinkState``)."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.accounts.identifiers import (
    MAX_EMAIL_LENGTH,
    MAX_NAME_LENGTH,
    MAX_USERNAME_LENGTH,
    IdentifierProblem,
)
from gatehouse.accounts.passwords import PasswordProblem
from gatehouse.accounts.selfservice.registration import FieldProblem
from gatehouse.accounts.selfservice.service import LinkState
from gatehouse.web.i18n import N_, Message, Translatable

_IDENTIFIER_MESSAGES: dict[IdentifierProblem, Translatable] = {
    IdentifierProblem.USERNAME_MISSING: N_("Enter a username."),
    IdentifierProblem.USERNAME_TOO_LONG: N_("A username is at most %(max)s characters long."),
    IdentifierProblem.USERNAME_CHARACTERS: N_(
        "A username cannot contain spaces or invisible or control characters."
    ),
    IdentifierProblem.USERNAME_AT_SIGN: N_(
        "A username cannot contain @; your email address goes in its own field."
    ),
    IdentifierProblem.USERNAME_TAKEN: N_("This username is taken; choose another."),
    IdentifierProblem.EMAIL_MISSING: N_("Enter your email address."),
    IdentifierProblem.EMAIL_TOO_LONG: N_("An email address is at most %(max)s characters long."),
    IdentifierProblem.EMAIL_MALFORMED: N_("Enter an email address such as name@example.com."),
    IdentifierProblem.NAME_TOO_LONG: N_("A name is at most %(max)s characters long."),
    IdentifierProblem.NAME_CHARACTERS: N_("A name cannot contain invisible or control characters."),
}
_LONGEST = {
    IdentifierProblem.USERNAME_TOO_LONG: MAX_USERNAME_LENGTH,
    IdentifierProblem.EMAIL_TOO_LONG: MAX_EMAIL_LENGTH,
    IdentifierProblem.NAME_TOO_LONG: MAX_NAME_LENGTH,
}


def field_message(problem: FieldProblem) -> Message | PasswordProblem:
    """A refused password stays a PasswordProblem: _fields.html words it with the macro every
    page uses for it (templates/_password_problem.html), plural and all."""
    if isinstance(problem, PasswordProblem):
        return problem
    longest = _LONGEST.get(problem)
    return Message(_IDENTIFIER_MESSAGES[problem], {} if longest is None else {"max": longest})


def field_messages(errors: dict[str, FieldProblem]) -> dict[str, Message | PasswordProblem]:
    """A form's errors, by field, as _fields.html shows them."""
    return {name: field_message(problem) for name, problem in errors.items()}


@dataclass(frozen=True)
class LinkProblem:
    """What a person is told about a link from an email that cannot be used."""

    status: int
    title: Translatable
    message: Translatable


LINK_PROBLEMS: dict[LinkState, LinkProblem] = {
    LinkState.USED: LinkProblem(
        410,
        N_("This link was already used"),
        N_("Each link in our emails works once, and this one has been used."),
    ),
    LinkState.EXPIRED: LinkProblem(
        410,
        N_("This link has expired"),
        N_("The links in our emails work for a limited time, and this one's is over."),
    ),
    LinkState.INVALID: LinkProblem(
        400,
        N_("This link is not valid"),
        N_(
            "The link is incomplete or is not one of ours. Copy the whole link from the email, "
            "or ask for a new one."
        ),
    ),
}
# What the person can do next, under the link's problem.
ASK_FOR_A_NEW_RESET_LINK = N_("If you still need a new password, ask for a new link:")
RESET_CONFIRMS_TOO = N_(
    "If your address is not confirmed yet, a password-reset link confirms it too:"
)
YOU_CAN_SIGN_IN = N_("You can still sign in to your account.")
FORGOT_PASSWORD = N_("Forgot your password?")
