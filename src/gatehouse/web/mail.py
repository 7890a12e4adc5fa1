"""The messages self-service sends, rendered from web/templates/email/: a plain-text and a
simple HTML part each (accounts/selfservice/mail.py queues them), in the language of the
page whose form makes them: the queue keeps the rendered message, so the worker that sends
it later needs no language of its own."""

from __future__ import annotations

from babel.support import NullTranslations
from jinja2 import Environment

from gatehouse.accounts.selfservice.mail import MailContent, MailKind, MailValues
from gatehouse.web.i18n import N_, Translatable

SUBJECTS: dict[MailKind, Translatable] = {
    "verify_email": N_("Confirm your email address"),
    "registration_attempt": N_("Someone tried to create an account with your email address"),
    "reset_password": N_("Reset your password"),
    "password_changed": N_("Your password was changed"),
}


class TemplateMailComposer:
    """``MailComposer`` over the app's templates, email/<kind>.txt and email/<kind>.html, in
    the language ``lang`` (its catalog: ``translations``); ``organisation``, the tenant's
    display name, names the sender (None: gatehouse's look, the issuer alone)."""

    def __init__(
        self,
        templates: Environment,
        lang: str,
        translations: NullTranslations,
        organisation: str | None = None,
    ) -> None:
        self._templates = templates
        self._lang = lang
        self._translations = translations
        self._organisation = organisation

    def __call__(self, kind: MailKind, values: MailValues) -> MailContent:
        text = self._render(f"email/{kind}.txt", values)
        html = self._render(f"email/{kind}.html", values)
        return MailContent(self._translations.gettext(SUBJECTS[kind]), text, html)

    def _render(self, template: str, values: MailValues) -> str:
        return self._templates.get_template(template).render(
            **values,
            lang=self._lang,
            translations=self._translations,
            organisation=self._organisation,
        )
