"""The messages self-service sends, rendered from web/templates/email/: a plain-text and a
simple HTML part each (accounts/selfservice/mail.py queues them)."""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment

from gatehouse.accounts.selfservice.mail import MailContent, MailKind

SUBJECTS: dict[MailKind, str] = {
    "verify_email": "Confirm your email address",
    "registration_attempt": "Someone tried to create an account with your email address",
    "reset_password": "Reset your password",
    "password_changed": "Your password was changed",
}


class TemplateMailComposer:
    """``MailComposer`` over the app's templates: email/<kind>.txt and email/<kind>.html."""

    def __init__(self, templates: Environment) -> None:
        self._templates = templates

    def __call__(self, kind: MailKind, values: Mapping[str, str]) -> MailContent:
        text = self._templates.get_template(f"email/{kind}.txt").render(**values)
        html = self._templates.get_template(f"email/{kind}.html").render(**values)
        return MailContent(SUBJECTS[kind], text, html)
