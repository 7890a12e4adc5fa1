"""What a person is told when a new password is refused (accounts/passwords.py
``PasswordProblem``), in their language: one mapping for every page that sets a password."""

from __future__ import annotations

from gatehouse.accounts.passwords import PasswordProblem, WeakPassword
from gatehouse.web.i18n import N_, Message, Translatable

PASSWORD_MESSAGES: dict[PasswordProblem, Translatable] = {
    PasswordProblem.TOO_SHORT: N_("A password must be at least %(min_length)s characters long."),
    PasswordProblem.TOO_LONG: N_("A password must be at most %(max_length)s characters long."),
    PasswordProblem.COMMON: N_(
        "This password is one of the most commonly used ones; choose another."
    ),
    PasswordProblem.PERSONAL: N_("A password must not be the username or email address."),
}


def password_message(weak: WeakPassword) -> Message:
    return Message(
        PASSWORD_MESSAGES[weak.problem],
        {"min_length": weak.min_length, "max_length": weak.max_length},
    )
