"""Registration and email verification (docs/self-service.md).

A new account starts with ``email_verified`` false and gets a verification link; the person
may sign in at once, and applications see ``email_verified: false`` until they follow it.
Registering with an address that already has an account shows the same page as a new
registration and creates nothing; the address's owner gets an email saying so instead
(no enumeration of addresses). Usernames are chosen by people and must be unique, so a taken
username is said to be taken, as every registration form does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from gatehouse.accounts.identifiers import (
    IdentifierProblem,
    email_problem,
    name_problem,
    username_problem,
)
from gatehouse.accounts.passwords import PasswordProblem, password_problem
from gatehouse.accounts.selfservice.mail import MailComposer, MailValues, in_whole_units
from gatehouse.accounts.selfservice.service import (
    Limit,
    LinkState,
    SelfService,
)
from gatehouse.storage.errors import AlreadyExists
from gatehouse.storage.records import AuditEvent, User, UserProfile


@dataclass(frozen=True)
class RegistrationForm:
    username: str
    email: str
    password: str
    name: str = ""


# What is wrong with one field of a form; the pages say it in the person's language.
FieldProblem = IdentifierProblem | PasswordProblem


@dataclass(frozen=True)
class FieldErrors:
    """What to correct, by form field, in the order of the form."""

    errors: dict[str, FieldProblem]


@dataclass(frozen=True)
class Accepted:
    """The form was taken: "check your email", whatever happened behind it."""


@dataclass(frozen=True)
class TooManyRequests:
    """The client address sent too many requests; the person should wait."""


RegistrationResult = FieldErrors | Accepted | TooManyRequests


def check_registration(service: SelfService, form: RegistrationForm) -> FieldErrors | None:
    errors: dict[str, FieldProblem] = {}
    for name, problem in (
        ("username", username_problem(form.username)),
        ("email", email_problem(form.email)),
        ("name", name_problem(form.name)),
    ):
        if problem is not None:
            errors[name] = problem
    policy = service.policy.get()
    weak = password_problem(form.password, policy, (form.username, form.email))
    if weak is not None:
        errors["password"] = weak
    return FieldErrors(errors) if errors else None


def register(
    service: SelfService, form: RegistrationForm, compose: MailComposer, ip: str | None
) -> RegistrationResult:
    invalid = check_registration(service, form)
    if invalid is not None:
        return invalid
    # The slow hash is made whether or not the account will be created: the time the page
    # takes must not tell whether the address has an account.
    password_hash = service.passwords.hash(form.password)
    try:
        return _register(service, form, password_hash, compose, ip)
    except AlreadyExists:
        # A concurrent registration took the username or the address since the checks.
        if service.users.find_by_login(form.username) is not None:
            return FieldErrors({"username": IdentifierProblem.USERNAME_TAKEN})
        return Accepted()


def _register(
    service: SelfService,
    form: RegistrationForm,
    password_hash: str,
    compose: MailComposer,
    ip: str | None,
) -> RegistrationResult:
    now = service.clock()
    policy = service.policy.get()
    with service.transaction():
        if service.users.find_by_login(form.username) is not None:
            return FieldErrors({"username": IdentifierProblem.USERNAME_TAKEN})
        limit = service.within_limits(ip, form.email.casefold(), now)
        if limit is Limit.SOURCE:
            return TooManyRequests()
        existing = service.users.find_by_login(form.email)
        if existing is not None:
            address = existing.email
            if limit is Limit.OK and address and address.casefold() == form.email.casefold():
                # Told at the address the account has, not as the form spelled it.
                attempt = {"username": existing.username, "issuer": service.issuer}
                if policy.password_reset:
                    attempt["forgot_link"] = f"{service.issuer}/password/forgot"
                content = compose("registration_attempt", attempt)
                service.mail.enqueue(address, content, now)
            return Accepted()
        user = User(
            id=str(uuid.uuid4()),
            username=form.username,
            email=form.email,
            email_verified=False,
            name=form.name or None,
            given_name=None,
            family_name=None,
            phone_number=None,
            phone_number_verified=False,
            address=None,
            disabled=False,
            password_hash=password_hash,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        service.users.insert(user)
        link = service.issue_link(
            "verify_email", user.id, form.email, policy.email_verification_lifetime, now
        )
        if limit is Limit.OK:
            values: MailValues = {
                "username": form.username,
                "link": link,
                "expires_in": in_whole_units(policy.email_verification_lifetime),
                "issuer": service.issuer,
            }
            service.mail.enqueue(form.email, compose("verify_email", values), now)
        service.audit.record(
            AuditEvent("account.registered", now, "user", user.id, form.username, ip=ip)
        )
    return Accepted()


def verify_email(service: SelfService, token: str, ip: str | None) -> LinkState:
    """Use a verification link: VALID when the address is now verified, else why not."""
    now = service.clock()
    with service.transaction():
        used = service.consume("verify_email", token, now)
        if isinstance(used, LinkState):
            return used
        user = service.users.get(used.user_id)
        if user is None or (user.email or "").casefold() != used.email.casefold():
            return LinkState.INVALID  # the account is gone, or uses another address now
        if not user.email_verified:
            profile = replace(UserProfile.of(user), email_verified=True)
            service.users.update_profile(user.id, profile, now)
        service.audit.record(
            AuditEvent("email.verified", now, "user", user.id, user.username, ip=ip)
        )
    return LinkState.VALID
