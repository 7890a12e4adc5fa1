"""The account page's words that Python picks: what a finished action says, why a request
was refused (protocol/account/holder.py ``Refusal``) and which field it concerns, and the
names of the ways a person signed in. Marked ``N_()``, translated where the page shows them
(docs/translations.md). Why a new password is refused is worded by
templates/_password_problem.html, which the self-service pages share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from gatehouse.accounts.profile import ADDRESS_PARTS, ProfileError, ProfileRule
from gatehouse.protocol.account.holder import AccountError, Refusal
from gatehouse.web.i18n import N_, Translatable

# What a finished action says (``/account?done=<key>``): fixed texts, nothing reflected.
NOTICES: Final[Mapping[str, Translatable]] = {
    "profile": N_("Your profile was saved."),
    "profile-unchanged": N_("Nothing in your profile changed."),
    "password": N_(
        "Your password was changed. Every other browser was signed out, and applications "
        "will ask you to sign in again."
    ),
    "session": N_("That session was signed out."),
    "others": N_("Every other session was signed out."),
    "application": N_(
        "The application's access was revoked. It will ask for your consent again the next "
        "time you use it."
    ),
    "offline": N_("The application's offline access was revoked."),
    "reauthenticated": N_(
        "You signed in again: you can now change your password or sign out your other sessions."
    ),
}

# A refusal without a rule of its own. PROFILE_RULE and WEAK_PASSWORD say which rule.
REFUSALS: Final[Mapping[Refusal, Translatable]] = {
    Refusal.WRONG_PASSWORD: N_("Your current password is not correct."),
    Refusal.CONFIRMATION_DIFFERS: N_(
        "The new password and its confirmation differ. Type the same new password twice."
    ),
    Refusal.NO_SUCH_SESSION: N_("That session has already ended or is not one of yours."),
    Refusal.NO_APPLICATION_ACCESS: N_("That application has no access to revoke (any more)."),
    Refusal.ORGANISATION_CONSENT: N_(
        "Your organisation's administrator allowed that application for everyone in the "
        "organisation: only an administrator can withdraw it. You have not allowed it "
        "anything yourself that you could revoke."
    ),
    Refusal.NO_OFFLINE_ACCESS: N_("That application holds no offline access to revoke (any more)."),
}

# The claims a person edits (accounts/profile.py SELF_EDITABLE_FIELDS), each rule a whole
# sentence: the name of the field changes the sentence around it in many languages.
# %(limit)s is accounts/profile.py MAX_CLAIM_LENGTH.
PROFILE_PROBLEMS: Final[Mapping[tuple[str, ProfileRule], Translatable]] = {
    ("name", ProfileRule.TOO_LONG): N_(
        "Not saved: the full name is too long. Use at most %(limit)s characters."
    ),
    ("given_name", ProfileRule.TOO_LONG): N_(
        "Not saved: the given name is too long. Use at most %(limit)s characters."
    ),
    ("family_name", ProfileRule.TOO_LONG): N_(
        "Not saved: the family name is too long. Use at most %(limit)s characters."
    ),
    ("phone_number", ProfileRule.TOO_LONG): N_(
        "Not saved: the phone number is too long. Use at most %(limit)s characters."
    ),
    ("name", ProfileRule.HOSTILE_CHARACTERS): N_(
        "Not saved: the full name cannot contain invisible or control characters."
    ),
    ("given_name", ProfileRule.HOSTILE_CHARACTERS): N_(
        "Not saved: the given name cannot contain invisible or control characters."
    ),
    ("family_name", ProfileRule.HOSTILE_CHARACTERS): N_(
        "Not saved: the family name cannot contain invisible or control characters."
    ),
    ("phone_number", ProfileRule.HOSTILE_CHARACTERS): N_(
        "Not saved: the phone number cannot contain invisible or control characters."
    ),
    # Every part of the postal address (accounts/profile.py ADDRESS_PARTS).
    ("address", ProfileRule.TOO_LONG): N_(
        "Not saved: a part of the postal address is too long. Use at most %(limit)s characters."
    ),
    ("address", ProfileRule.HOSTILE_CHARACTERS): N_(
        "Not saved: the postal address cannot contain invisible or control characters."
    ),
}
# A rule the account page's own form cannot break (its fields are the person's claims).
PROFILE_NOT_SAVED: Final = N_("Not saved: the profile breaks a rule.")

# The input of the password form each refusal concerns (its id).
_PASSWORD_FIELDS: Final[Mapping[Refusal, str]] = {
    Refusal.WRONG_PASSWORD: "current_password",
    Refusal.CONFIRMATION_DIFFERS: "confirm_password",
    Refusal.WEAK_PASSWORD: "new_password",
}

# How a person signed in (the session's amr, RFC 8176 §2), as the sessions list names it.
# "mfa" and "user" (a passkey's presence test) say nothing the other methods do not.
SIGN_IN_METHODS: Final[Mapping[str, Translatable]] = {
    "pwd": N_("password"),
    "otp": N_("one-time code"),
    "hwk": N_("security key"),
    "swk": N_("passkey"),
    "pin": N_("device PIN or biometrics"),
}


def refusal_message(error: AccountError) -> Translatable | None:
    """What the page says about ``error``; None for a weak password (the template words
    its rule, with the number in the right plural)."""
    if error.refusal is Refusal.PROFILE_RULE:
        return _profile_problem(error.profile)
    return REFUSALS.get(error.refusal)


def _profile_problem(problem: ProfileError | None) -> Translatable:
    if problem is None:
        return PROFILE_NOT_SAVED
    claim = "address" if problem.claim in ADDRESS_PARTS else problem.claim
    return PROFILE_PROBLEMS.get((claim, problem.rule), PROFILE_NOT_SAVED)


def field_in_error(error: AccountError | None) -> str | None:
    """The id of the input ``error`` is about, which the page marks and focuses; None when
    it is about no input (a session, an application)."""
    if error is None:
        return None
    if error.refusal is Refusal.PROFILE_RULE:
        return error.profile.claim if error.profile is not None else None
    return _PASSWORD_FIELDS.get(error.refusal)


def sign_in_methods(amr: Iterable[str]) -> list[Translatable]:
    """The names of the ways a session signed in, in order."""
    return [SIGN_IN_METHODS[method] for method in amr if method in SIGN_IN_METHODS]
