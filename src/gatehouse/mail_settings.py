"""The outgoing-mail settings (``GATEHOUSE_SMTP_*``), a part of ``Settings`` (settings.py)
kept in a module of their own; and the ``Duration`` type every setting of time uses."""

from __future__ import annotations

import email.utils
import ipaddress
from datetime import timedelta
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings


def _seconds_from_text(value: Any) -> Any:
    """Environment variables are text: "900" means 900 seconds, as the docs promise (pydantic
    takes an int as seconds but reads a digit string only as ISO 8601)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


# A lifetime or delay: seconds, or ISO 8601 such as PT1H.
Duration = Annotated[timedelta, BeforeValidator(_seconds_from_text)]


class MailSettings(BaseSettings):
    """How gatehouse sends email (self-service accounts). Unset: it sends none."""

    smtp_host: str | None = Field(
        None,
        description="SMTP server for gatehouse's email (docs/self-service.md). Unset: no email, "
        "and self-service registration and password reset cannot be turned on.",
    )
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="Default: 587 for starttls, 465 for tls, 25 for none."
    )
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="`starttls` (RFC 3207; refused if not offered), `tls` (implicit, RFC 8314), "
        "or `none`, only for a server on loopback. Certificates are checked against the "
        "system's CAs.",
    )
    smtp_username: str | None = Field(None, description="SMTP user name; unset: no login.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str | None = Field(
        None, description="Sender: `address` or `Name <address>`; required with `smtp_host`."
    )
    smtp_timeout: Duration = Field(
        timedelta(seconds=10),
        description="Longest wait on the SMTP server per step. Mail goes from a queue in the "
        "database, never while a page waits; failures are retried with growing delays.",
    )

    @property
    def smtp_configured(self) -> bool:
        return self.smtp_host is not None and self.smtp_from is not None

    @pydantic.model_validator(mode="after")
    def _smtp_is_coherent(self) -> MailSettings:
        address = email.utils.parseaddr(self.smtp_from or "")[1].partition("@")
        if self.smtp_host is None:
            return self
        if not (address[0] and address[1] and "." in address[2]):
            raise ValueError("GATEHOUSE_SMTP_HOST needs GATEHOUSE_SMTP_FROM, an email address")
        if self.smtp_security == "none" and not _is_loopback(self.smtp_host):
            raise ValueError("GATEHOUSE_SMTP_SECURITY=none is allowed only for a loopback host")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set GATEHOUSE_SMTP_USERNAME and GATEHOUSE_SMTP_PASSWORD together")
        return self


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
