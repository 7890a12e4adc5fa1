"""Per-tenant policy: what an operator decides for one organisation (today the ``default``
tenant) rather than for the whole server, stored in the database with the tenant.

Server settings (settings.py) come from the environment and differ per deployment; a
tenant's policy comes from ``gatehouse policy set`` and is the same on every server that
shares the database. Each field's description is its documentation
(``gatehouse policy show --describe``, docs/policy.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gatehouse.settings import Duration

#: The longest password gatehouse takes anywhere: it bounds the argon2 input, and so the work
#: an attacker can make one sign-in cost.
MAX_PASSWORD_LENGTH = 1024


class PolicyError(ValueError):
    """A policy value that cannot be used; the message names the key and the rule."""


class TenantPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- Brute-force protection (docs/lockout.md) ----------------------------------------------
    login_delay_after_failures: int = Field(
        3,
        ge=1,
        description="Failed attempts at one account from one source (an address, or a "
        "browser the person signed in from before) before each further attempt from there "
        "must wait: 1 second, doubling with every further failure.",
    )
    login_max_delay: Duration = Field(
        timedelta(seconds=30),
        description="The longest wait between two attempts on one account from one source.",
    )
    source_lockout_threshold: int = Field(
        10,
        ge=1,
        description="Failed attempts at one account (a login, a second factor, a client's "
        "secret) from one source that lock it for that source (other sources and known "
        "browsers still get in).",
    )
    account_lockout_threshold: int = Field(
        50,
        ge=1,
        description="Failed sign-ins of one account from all sources together that lock the "
        "account for every browser it has not signed in from before (never for a client: "
        "its secret is only locked per source).",
    )
    address_failure_limit: int = Field(
        100,
        ge=1,
        description="Failed sign-ins from one source address across all accounts (password "
        "spraying) before that address is locked out of sign-in altogether.",
    )
    lockout_duration: Duration = Field(
        timedelta(minutes=15),
        description="How long a lock lasts; a count of failures starts again from zero when "
        "its lock ends or when it has seen no failure for this long.",
    )

    # -- The account page (docs/account.md) ---------------------------------------------------
    reauthentication_window: Duration = Field(
        timedelta(minutes=5),
        description="How recent a sign-in must be for the account page's sensitive actions "
        "(changing the password, signing out every other session, removing a second "
        "factor); a person who signed in longer ago is asked to sign in again first.",
    )

    # -- Multi-factor sign-in (docs/mfa.md) -----------------------------------------------------
    mfa: Literal["optional", "required"] = Field(
        "optional",
        description="optional: a person who set up a second factor is asked for it at every "
        "sign-in, others sign in with a password (clients registered with require_mfa "
        "excepted). required: everyone needs a second factor; a person without one sets up "
        "an authenticator app during their next sign-in.",
    )

    # -- Self-service accounts (docs/self-service.md) -------------------------------------------
    self_service_registration: bool = Field(
        False,
        description="People may create their own account at /register (linked from the login "
        "page); the account's email address is confirmed by an emailed link. Needs SMTP "
        "(`smtp_host`, `smtp_from`).",
    )
    password_reset: bool = Field(
        False,
        description="People who forgot their password may set a new one through a link sent "
        "to their verified or unverified email address (/password/forgot). Off by default: it "
        "makes the mailbox a way into the account. Needs SMTP (`smtp_host`, `smtp_from`).",
    )
    email_verification_lifetime: Duration = Field(
        timedelta(hours=24),
        description="How long an emailed link that confirms an email address works.",
    )
    password_reset_lifetime: Duration = Field(
        timedelta(minutes=30),
        description="How long an emailed password-reset link works.",
    )
    # -- Multi-tenant applications (docs/multi-tenant-apps.md) ----------------------------------
    user_consent_adds_multi_tenant_apps: bool = Field(
        False,
        description="A person of this tenant may add another tenant's multi-tenant "
        "application to this tenant by consenting to it themselves on the consent page (the "
        "application's presence is then created). Off: only an administrator's consent "
        "(`gatehouse consent grant-admin --client ID`) makes such an application usable here.",
    )
    # -- Passwords (accounts/passwords.py; NIST SP 800-63B §3.1.1.2) ---------------------------
    password_min_length: int = Field(
        8,
        ge=8,
        le=MAX_PASSWORD_LENGTH,
        description="The fewest characters a new password may have (NIST SP 800-63B: at least "
        "8; 12 or more is recommended, 15 where a password is the only factor). No "
        "composition rules: length and the common-password list only.",
    )
    password_reject_common: bool = Field(
        True,
        description="Refuse a new password found in gatehouse's list of about 11,600 commonly "
        "used passwords (compared case-insensitively), or equal to the username or email.",
    )

    @property
    def sends_email(self) -> bool:
        """Whether this policy makes gatehouse send email (SMTP must then be configured)."""
        return self.self_service_registration or self.password_reset

    @model_validator(mode="after")
    def _thresholds_rise(self) -> TenantPolicy:
        if self.source_lockout_threshold < self.login_delay_after_failures:
            raise ValueError("source_lockout_threshold must be at least login_delay_after_failures")
        if self.lockout_duration <= timedelta(0) or self.login_max_delay < timedelta(0):
            raise ValueError("lockout_duration must be positive and login_max_delay not negative")
        if self.reauthentication_window <= timedelta(0):
            raise ValueError("reauthentication_window must be positive")
        for name in ("email_verification_lifetime", "password_reset_lifetime"):
            if not timedelta(minutes=1) <= getattr(self, name) <= timedelta(days=7):
                raise ValueError(f"{name} must be between 1 minute and 7 days")
        return self

    def as_stored(self) -> dict[str, Any]:
        """The fields that differ from the defaults, JSON-ready: what the tenant row keeps,
        so that a default changed in a later release reaches tenants that never set it."""
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> TenantPolicy:
        """The policy a tenant row holds; keys a newer release wrote and this one does not
        know are ignored rather than refusing every sign-in."""
        known = {k: v for k, v in (stored or {}).items() if k in cls.model_fields}
        return cls.model_validate(known)

    def with_changes(self, changes: dict[str, str]) -> TenantPolicy:
        """A copy with ``changes`` (key -> text, as typed on the command line), validated;
        ``PolicyError`` names the first bad key."""
        unknown = sorted(set(changes) - set(type(self).model_fields))
        if unknown:
            known = ", ".join(type(self).model_fields)
            raise PolicyError(f"unknown policy key {unknown[0]!r}; known keys: {known}")
        try:
            return type(self).model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            error = exc.errors()[0]
            where = f"{error['loc'][0]}: " if error["loc"] else ""
            raise PolicyError(f"{where}{error['msg'].removeprefix('Value error, ')}") from None


def email_not_configured(policy: TenantPolicy, smtp_configured: bool) -> str | None:
    """Why ``policy`` cannot be used on a server whose SMTP settings are as given, or None:
    self-service registration and password reset work only by email."""
    if not policy.sends_email or smtp_configured:
        return None
    enabled = [n for n in ("self_service_registration", "password_reset") if getattr(policy, n)]
    return (
        f"{' and '.join(enabled)} work by email, and no SMTP server is configured: set "
        "GATEHOUSE_SMTP_HOST and GATEHOUSE_SMTP_FROM (docs/self-service.md), or turn them off "
        "with `gatehouse policy set "
        f"{' '.join(f'{n}=false' for n in enabled)}`"
    )
