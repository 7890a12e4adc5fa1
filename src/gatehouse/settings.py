"""Typed, frozen settings: ``GATEHOUSE_*`` environment variables and an optional TOML file.

Every field has a secure default and a description; ``docs/configuration.md`` is generated
from this model (``gatehouse config docs``), so the description is the documentation.

A typo stops start-up wherever it is: an unknown key in the file (``extra="forbid"``), and
an unknown ``GATEHOUSE_*`` environment variable, which pydantic-settings would ignore. The
only ``GATEHOUSE_*`` variables that are not settings are ``GATEHOUSE_CONFIG_FILE`` and those
starting ``GATEHOUSE_TEST_`` (the test suite's own switches, such as
``GATEHOUSE_TEST_BACKENDS``). ``load_settings`` names where a bad value came from.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from gatehouse.mail_settings import Duration as Duration
from gatehouse.mail_settings import MailSettings
from gatehouse.settings_sources import (
    CONFIG_FILE_VARIABLE,
    ENV_PREFIX,
    describe_error,
    named_config_file,
    unknown_variables,
)

#: The JWS algorithms gatehouse signs with and accepts its own tokens in (RFC 7518 §3.1):
#: the one list every signing key, setting, admin check and discovery field is drawn from.
SigningAlg = Literal["RS256", "ES256"]
SIGNING_ALGS: Final[tuple[SigningAlg, ...]] = get_args(SigningAlg)


class Settings(MailSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        Path("gatehouse-data"),
        description="Folder for the embedded SQLite database and its generated key-encryption "
        "key file. Ignored for the database when `database_url` names another one.",
    )
    database_url: str | None = Field(
        None,
        description="Database to use, as a plain URL: `sqlite:///path/to/file.db` or "
        "`postgresql://user:password@host:port/dbname`. gatehouse picks the driver. "
        "Default: `sqlite:///<data_dir>/gatehouse.db`.",
    )
    issuer: str | None = Field(
        None,
        description="The issuer identifier (`iss`): the public URL clients reach gatehouse at, "
        "https in production, served at the root of its host (no path). Default: the address "
        "`serve` listens on, e.g. `http://127.0.0.1:8000`.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key-encryption key that protects private signing keys at rest: 32 or more "
        "random characters, the same on every server. Required for PostgreSQL; for the embedded "
        "SQLite default one is generated into `<data_dir>/secret.key` (mode 0600) when unset.",
    )
    access_token_lifetime: Duration = Field(
        timedelta(hours=1), description="Lifetime of JWT access tokens."
    )
    id_token_lifetime: Duration = Field(timedelta(hours=1), description="Lifetime of ID tokens.")
    authorization_code_lifetime: Duration = Field(
        timedelta(seconds=60),
        description="Lifetime of authorization codes; at most 60 seconds (RFC 9700 §4.2.1).",
    )
    refresh_token_idle_lifetime: Duration = Field(
        timedelta(days=30),
        description="A refresh token not used for this long stops working.",
    )
    refresh_token_absolute_lifetime: Duration = Field(
        timedelta(days=90),
        description="No refresh token outlives this, however often it is used.",
    )
    refresh_token_retry_window: Duration = Field(
        timedelta(seconds=10),
        description="A rotated refresh token presented again this soon after its rotation "
        "is taken as a retry of a lost response: the successor the client never received is "
        "replaced, and the family lives on. Later, or once that successor was used, reuse "
        "revokes the whole family (RFC 9700 §4.14.2). 0 turns retries off.",
    )
    session_idle_lifetime: Duration = Field(
        timedelta(minutes=30),
        description="An SSO session with no activity for this long ends (one started "
        'without "Remember me"; each session keeps the lifetimes it started with).',
    )
    session_absolute_lifetime: Duration = Field(
        timedelta(hours=10),
        description='An SSO session started without "Remember me" ends this long after '
        "sign-in, active or not. Its cookie ends with the browser.",
    )
    remember_me_idle_lifetime: Duration = Field(
        timedelta(days=14),
        description='An SSO session started with "Remember me" ticked ends after this long '
        'with no activity. Its cookie outlives the browser; without "Remember me" the cookie '
        "ends with the browser. Each session keeps the lifetimes it started with.",
    )
    remember_me_absolute_lifetime: Duration = Field(
        timedelta(days=30),
        description='An SSO session started with "Remember me" ticked ends this long after '
        "sign-in, active or not.",
    )
    pushed_request_lifetime: Duration = Field(
        timedelta(seconds=60),
        description="How long a request_uri from the pushed authorization request endpoint "
        "(/par, RFC 9126) may be used; between 5 seconds and 10 minutes.",
    )
    interaction_lifetime: Duration = Field(
        timedelta(minutes=15),
        description="How long a person has to finish a login or consent page.",
    )
    device_code_lifetime: Duration = Field(
        timedelta(minutes=10),
        ge=timedelta(minutes=1),
        le=timedelta(minutes=30),
        description="How long a device has for its user to enter the user code and approve "
        "(RFC 8628 device flow); 1 to 30 minutes.",
    )
    device_poll_interval: Duration = Field(
        timedelta(seconds=5),
        ge=timedelta(seconds=1),
        le=timedelta(seconds=60),
        description="How often a device may poll the token endpoint (1 to 60 seconds); one "
        "that polls sooner is told slow_down and must wait 5 seconds more from then on.",
    )
    access_token_signing_alg: SigningAlg = Field(
        "ES256", description="Signing algorithm of access tokens (RFC 9068)."
    )
    id_token_signing_alg: SigningAlg = Field(
        "RS256",
        description="Default signing algorithm of ID tokens; a client may choose another.",
    )
    dpop_proof_max_age: Duration = Field(
        timedelta(seconds=60),
        description="A DPoP proof (RFC 9449) is accepted this long after its `iat`, and its "
        "`jti` remembered as long, so it cannot be replayed; 1 to 300 seconds.",
    )
    dpop_clock_skew: Duration = Field(
        timedelta(seconds=5),
        description="How far a DPoP proof's `iat` may lie ahead of this server's clock; at "
        "most 60 seconds.",
    )
    dpop_nonce_required: bool = Field(
        False,
        description="Every DPoP proof must carry a nonce from gatehouse (RFC 9449 §8): a "
        "client without one is answered `use_dpop_nonce` and a `DPoP-Nonce` header. A nonce "
        "sent without this is still checked.",
    )
    key_rotation_delay: Duration = Field(
        timedelta(hours=24),
        description="`keys rotate` publishes a new key this long before it starts signing, so "
        "relying parties that cache the JWKS see it first.",
    )
    purge_interval: Duration = Field(
        timedelta(hours=1),
        description="How often `serve` deletes expired codes, sessions, interactions, refresh "
        "tokens and deny-list entries (`gatehouse purge` does it once); 0 turns it off.",
    )
    backchannel_logout_timeout: Duration = Field(
        timedelta(seconds=5),
        description="How long gatehouse waits for a client's back-channel logout endpoint to "
        "answer one logout token (connecting, sending and the answer's headers, all told); "
        "at most 60 seconds. A slower or failing answer is tried again later.",
    )
    backchannel_logout_give_up_after: Duration = Field(
        timedelta(hours=24),
        description="How long after a sign-out gatehouse keeps trying to deliver a back-channel "
        "logout to a client that is down or answers with an error (5 seconds after the first "
        "failure, doubling up to 15 minutes between attempts). Then it gives up and logs it.",
    )
    request_header_timeout: Duration = Field(
        timedelta(seconds=10),
        description="A client must send a request's line and headers within this time of "
        "opening the connection or starting the request; otherwise it gets 408 and the "
        "connection is closed.",
    )
    request_body_timeout: Duration = Field(
        timedelta(seconds=10),
        description="A client must send a request's whole body within this time of its "
        "headers; otherwise it gets 408 and the connection is closed.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks (`10.0.0.5`, `10.0.0.0/8`) of the "
        "reverse proxies in front of gatehouse. Only a request arriving from one of them has "
        "its client address taken from `X-Forwarded-For` (and its scheme from "
        "`X-Forwarded-Proto`); from anywhere else those headers are ignored, so a client "
        "cannot choose the address that lockouts and audit events record. Empty: trust none.",
    )
    audit_retention: Duration = Field(
        timedelta(days=180),
        description="Audit events older than this are deleted by the purge; 0 keeps them for ever.",
    )
    cors_max_age: int = Field(600, description="Seconds browsers may cache a CORS preflight.")
    demo: bool = Field(
        False, description="Mount the demo relying party at `/demo` (set by `gatehouse demo`)."
    )
    demo_client_secret: SecretStr | None = Field(
        None, description="Secret of the demo relying party's client; set by `gatehouse demo`."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info",
        description=(
            "Log level. At `info` the access log writes a line per request (method, path, "
            "status, duration; never the query string); `warning` turns it off."
        ),
    )
    password_hash_time_cost: int = Field(
        2,
        ge=1,
        description="argon2id iterations. A hash made with other parameters is redone at the "
        "user's next sign-in.",
    )
    password_hash_memory_kib: int = Field(
        19456, ge=8192, description="argon2id memory in KiB (OWASP minimum: 19456)."
    )

    # -- Outgoing email (self-service accounts, docs/self-service.md) --------------------------
    @field_validator("authorization_code_lifetime")
    @classmethod
    def _code_lifetime_is_short(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(seconds=60):
            raise ValueError("authorization codes must live between 1 and 60 seconds")
        return value

    @field_validator("pushed_request_lifetime")
    @classmethod
    def _pushed_request_lifetime_is_short(cls, value: timedelta) -> timedelta:
        # RFC 9126 §2.2: expires_in is short, "between 5 and 600 seconds" in its examples.
        if not timedelta(seconds=5) <= value <= timedelta(minutes=10):
            raise ValueError("a pushed request must live between 5 seconds and 10 minutes")
        return value

    @field_validator("dpop_proof_max_age", "dpop_clock_skew")
    @classmethod
    def _dpop_window_is_short(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        low, high = (1, 300) if info.field_name == "dpop_proof_max_age" else (0, 60)
        if not timedelta(seconds=low) <= value <= timedelta(seconds=high):
            raise ValueError(f"must be between {low} and {high} seconds")
        return value

    @field_validator("request_header_timeout", "request_body_timeout")
    @classmethod
    def _timeout_is_positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be more than 0 seconds")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (such as 10.0.0.5 or 10.0.0.0/8)"
                ) from None
        return ",".join(entries)

    @field_validator("audit_retention")
    @classmethod
    def _retention_not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must be 0 (keep for ever) or more")
        return value

    @field_validator("backchannel_logout_timeout")
    @classmethod
    def _backchannel_timeout_is_bounded(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(seconds=60):
            raise ValueError("must be more than 0 and at most 60 seconds")
        return value

    @field_validator("backchannel_logout_give_up_after")
    @classmethod
    def _give_up_is_positive(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("must be at least 1 second")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("use 32 or more random characters")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")) or "?" in value or "#" in value:
            raise ValueError("issuer must be an http(s) URL with no query or fragment")
        if urlsplit(value).path.strip("/"):
            # gatehouse's pages and endpoints live at the root of their host.
            raise ValueError(
                "issuer must be the root of its host (https://id.example.com), without a path"
            )
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit arguments win, then the environment, then the TOML file. The file is named
        # when settings are loaded, not when this module is imported; a named file that is
        # missing or unreadable is an error rather than silently no configuration.
        unknown = unknown_variables(os.environ, settings_cls.model_fields)
        if unknown:
            raise SettingsError(unknown)
        config_file = named_config_file()
        if config_file is not None and not Path(config_file).is_file():
            raise SettingsError(f"{CONFIG_FILE_VARIABLE} names {config_file}, which is not a file")
        try:
            toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            message = f"{CONFIG_FILE_VARIABLE} {config_file} cannot be read: {exc}"
            raise SettingsError(message) from exc
        return (init_settings, env_settings, toml)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gatehouse.db'}"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (None values ignored), validated like any other input, so a
        plain string becomes a ``SecretStr`` and a bad value fails here. (``model_copy`` does
        not validate; ``model_validate`` does not re-read the environment.)"""
        update = {k: v for k, v in changes.items() if v is not None}
        if not update:
            return self
        return type(self).model_validate({**dict(self), **update})


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment and the TOML file, with ``overrides`` (command-line
    options; None ones ignored) on top. Anything invalid raises ``SettingsError`` with one
    line that names the variable, or the file and its key, to fix."""
    try:
        return Settings().with_overrides(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc.errors()[0], list(Settings.model_fields))) from None
