"""settings: secure defaults, validation, and where values come from (env, TOML)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from gatehouse.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GATEHOUSE_"):
            monkeypatch.delenv(name)


def write_toml(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "gatehouse.toml"
    path.write_text(text)
    monkeypatch.setenv("GATEHOUSE_CONFIG_FILE", str(path))
    return path


# -- defaults ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("authorization_code_lifetime", timedelta(seconds=60)),  # RFC 9700 §4.2.1
        ("access_token_lifetime", timedelta(hours=1)),
        ("id_token_lifetime", timedelta(hours=1)),
        ("refresh_token_idle_lifetime", timedelta(days=30)),
        ("refresh_token_absolute_lifetime", timedelta(days=90)),
        ("session_idle_lifetime", timedelta(minutes=30)),
        ("session_absolute_lifetime", timedelta(hours=10)),
        ("interaction_lifetime", timedelta(minutes=15)),
        ("device_code_lifetime", timedelta(minutes=10)),
        ("device_poll_interval", timedelta(seconds=5)),  # RFC 8628 §3.2's default
        ("access_token_signing_alg", "ES256"),
        ("id_token_signing_alg", "RS256"),  # OIDC Core §15.1: RS256 must be supported
        ("key_rotation_delay", timedelta(hours=24)),
        ("secret_key", None),
        ("database_url", None),
        ("demo", False),
        ("demo_client_secret", None),
        ("password_hash_memory_kib", 19456),  # OWASP minimum for argon2id
        ("password_hash_time_cost", 2),
    ],
)
def test_defaults_are_the_secure_ones(field: str, expected: Any) -> None:
    assert getattr(Settings(), field) == expected


def test_every_field_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.access_token_lifetime = timedelta(days=1)  # type: ignore[misc]


def test_secret_key_is_a_secret_str() -> None:
    settings = Settings(secret_key="k" * 40)  # type: ignore[arg-type]
    assert isinstance(settings.secret_key, SecretStr)
    assert "k" * 40 not in repr(settings)
    assert "k" * 40 not in str(settings.model_dump())


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'gatehouse.db'}"
    other = Settings(data_dir=tmp_path, database_url="postgresql://db/gh")
    assert other.resolved_database_url == "postgresql://db/gh"


# -- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1, 30, 60])
def test_code_lifetime_within_60_seconds_is_accepted(seconds: int) -> None:
    settings = Settings(authorization_code_lifetime=timedelta(seconds=seconds))
    assert settings.authorization_code_lifetime == timedelta(seconds=seconds)


@pytest.mark.parametrize("seconds", [0, 61, 600, 86400, -1])
def test_code_lifetime_over_60_seconds_is_rejected(seconds: int) -> None:
    with pytest.raises(ValidationError, match="between 1 and 60 seconds"):
        Settings(authorization_code_lifetime=timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("access_token_signing_alg", "HS256"),
        ("access_token_signing_alg", "none"),
        ("id_token_signing_alg", "none"),
        ("id_token_signing_alg", "rs256"),
        ("password_hash_memory_kib", 4096),
        ("password_hash_time_cost", 0),
        ("log_level", "trace"),
        ("issuer", "ftp://op.example"),
        ("issuer", "op.example"),
        ("issuer", "https://op.example/?tenant=1"),
        ("issuer", "https://op.example/#x"),
        ("device_code_lifetime", timedelta(seconds=59)),
        ("device_code_lifetime", timedelta(minutes=31)),
        ("device_poll_interval", timedelta(0)),
        ("device_poll_interval", timedelta(seconds=61)),
    ],
)
def test_invalid_values_are_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        Settings(**{field: value})


@pytest.mark.parametrize(
    ("issuer", "stored"),
    [
        ("https://op.example", "https://op.example"),
        ("https://op.example/", "https://op.example"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_issuer_loses_its_trailing_slash(issuer: str, stored: str) -> None:
    assert Settings(issuer=issuer).issuer == stored


def test_an_issuer_with_a_path_is_refused() -> None:
    """Pages and endpoints live at the root of the host; a path would break every link."""
    with pytest.raises(ValidationError, match="root of its host"):
        Settings(issuer="https://op.example/tenants/a")


def test_an_unknown_argument_is_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Settings(acess_token_lifetime=timedelta(seconds=5))  # type: ignore[call-arg]


def test_with_overrides_validates_and_ignores_none() -> None:
    settings = Settings()
    assert settings.with_overrides(database_url=None) is settings
    changed = settings.with_overrides(demo_client_secret="x" * 40)
    assert isinstance(changed.demo_client_secret, SecretStr)
    with pytest.raises(ValidationError):
        settings.with_overrides(authorization_code_lifetime=timedelta(minutes=10))


# -- environment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "field", "expected"),
    [
        ("GATEHOUSE_ACCESS_TOKEN_LIFETIME", "900", "access_token_lifetime", timedelta(minutes=15)),
        ("GATEHOUSE_ACCESS_TOKEN_LIFETIME", "PT2H", "access_token_lifetime", timedelta(hours=2)),
        ("GATEHOUSE_ID_TOKEN_SIGNING_ALG", "ES256", "id_token_signing_alg", "ES256"),
        ("gatehouse_log_level", "debug", "log_level", "debug"),  # names are case-insensitive
        ("GATEHOUSE_DEMO", "true", "demo", True),
        ("GATEHOUSE_ISSUER", "https://id.example.com/", "issuer", "https://id.example.com"),
    ],
)
def test_values_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(Settings(), field) == expected


def test_an_invalid_environment_value_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_AUTHORIZATION_CODE_LIFETIME", "600")
    with pytest.raises(ValidationError, match="between 1 and 60 seconds"):
        Settings()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GATEHOUSE_ISUER", "GATEHOUSE_ISUER (did you mean GATEHOUSE_ISSUER?)"),
        (
            "GATEHOUSE_ACESS_TOKEN_LIFETIME",
            "GATEHOUSE_ACESS_TOKEN_LIFETIME (did you mean GATEHOUSE_ACCESS_TOKEN_LIFETIME?)",
        ),
        ("gatehouse_loglevel", "GATEHOUSE_LOGLEVEL (did you mean GATEHOUSE_LOG_LEVEL?)"),
        ("GATEHOUSE_CONFIG", "GATEHOUSE_CONFIG (did you mean GATEHOUSE_CONFIG_FILE?)"),
        ("GATEHOUSE_WORKERS", "GATEHOUSE_WORKERS;"),  # nothing close: no guess
    ],
)
def test_an_unknown_gatehouse_environment_variable_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, name: str, expected: str
) -> None:
    """pydantic-settings ignores unknown environment variables even with extra="forbid"; a
    typo would start the server on the default, so gatehouse refuses it itself."""
    monkeypatch.setenv(name, "5")
    with pytest.raises(SettingsError) as raised:
        Settings()
    assert str(raised.value).startswith("unknown setting in the environment: ")
    assert expected in str(raised.value)


def test_every_unknown_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_ISUER", "https://id.example.com")
    monkeypatch.setenv("GATEHOUSE_DEMO_SECRET", "x")
    with pytest.raises(SettingsError, match=r"GATEHOUSE_DEMO_SECRET .*, GATEHOUSE_ISUER "):
        Settings()


def test_gatehouse_variables_that_are_not_settings_are_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented exceptions: the file to read, and the test suite's own switches."""
    write_toml(tmp_path, 'log_level = "warning"\n', monkeypatch)
    monkeypatch.setenv("GATEHOUSE_TEST_BACKENDS", "sqlite")
    monkeypatch.setenv("GATEHOUSE_TEST_CHROMIUM", "/usr/bin/chromium")
    assert Settings().log_level == "warning"


def test_environment_variables_without_the_prefix_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCESS_TOKEN_LIFETIME", "5")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    settings = Settings()
    assert settings.access_token_lifetime == timedelta(hours=1)
    assert settings.secret_key is None


# -- TOML file --------------------------------------------------------------------------------


def test_values_from_the_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_toml(
        tmp_path,
        'access_token_lifetime = 600\nlog_level = "warning"\n'
        'issuer = "https://id.example.com"\nauthorization_code_lifetime = "PT30S"\n',
        monkeypatch,
    )
    settings = Settings()
    assert settings.access_token_lifetime == timedelta(minutes=10)
    assert settings.log_level == "warning"
    assert settings.issuer == "https://id.example.com"
    assert settings.authorization_code_lifetime == timedelta(seconds=30)


def test_environment_beats_the_file_and_arguments_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(tmp_path, "access_token_lifetime = 600\nid_token_lifetime = 600\n", monkeypatch)
    monkeypatch.setenv("GATEHOUSE_ACCESS_TOKEN_LIFETIME", "900")
    settings = Settings(id_token_lifetime=timedelta(seconds=120))
    assert settings.access_token_lifetime == timedelta(seconds=900)
    assert settings.id_token_lifetime == timedelta(seconds=120)


def test_an_unknown_key_in_the_toml_file_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(tmp_path, "acess_token_lifetime = 600\n", monkeypatch)
    with pytest.raises(ValidationError, match="acess_token_lifetime"):
        Settings()


def test_an_invalid_value_in_the_toml_file_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(tmp_path, "authorization_code_lifetime = 3600\n", monkeypatch)
    with pytest.raises(ValidationError, match="between 1 and 60 seconds"):
        Settings()


def test_the_config_file_is_read_when_settings_load_not_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gatehouse.settings was imported long before this test set GATEHOUSE_CONFIG_FILE.
    write_toml(tmp_path, 'log_level = "error"\n', monkeypatch)
    assert Settings().log_level == "error"
    monkeypatch.delenv("GATEHOUSE_CONFIG_FILE")
    assert Settings().log_level == "info"


def test_a_missing_config_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_CONFIG_FILE", str(tmp_path / "typo.toml"))
    with pytest.raises(SettingsError, match=r"typo\.toml"):
        Settings()


def test_a_malformed_config_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(tmp_path, "access_token_lifetime = = 1\n", monkeypatch)
    with pytest.raises(SettingsError, match="cannot be read"):
        Settings()


# -- where a bad value came from (load_settings) ----------------------------------------------


def test_load_settings_applies_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEHOUSE_LOG_LEVEL", "error")
    settings = load_settings(database_url="postgresql://db/gh", issuer=None)
    assert (settings.database_url, settings.log_level) == ("postgresql://db/gh", "error")


def test_a_bad_environment_value_is_named_by_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file has the key too, but the environment wins, so the environment is to blame.
    write_toml(tmp_path, "authorization_code_lifetime = 30\n", monkeypatch)
    monkeypatch.setenv("GATEHOUSE_AUTHORIZATION_CODE_LIFETIME", "600")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        "invalid setting GATEHOUSE_AUTHORIZATION_CODE_LIFETIME: authorization codes must live "
        "between 1 and 60 seconds"
    )


def test_a_bad_value_in_the_file_is_named_by_its_key_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path, 'log_level = "info"\nid_token_signing_alg = "HS256"\n', monkeypatch)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        f"{path}: invalid setting id_token_signing_alg: Input should be 'RS256' or 'ES256'"
    )


def test_an_unknown_key_in_the_file_is_named_with_the_file_and_a_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_toml(tmp_path, "acess_token_lifetime = 600\n", monkeypatch)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value) == (
        f"{path}: unknown setting acess_token_lifetime (did you mean access_token_lifetime?)"
    )
    assert "GATEHOUSE_" not in str(raised.value)


def test_an_unknown_environment_variable_stops_load_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEHOUSE_ISUER", "https://id.example.com")
    with pytest.raises(SettingsError, match="did you mean GATEHOUSE_ISSUER"):
        load_settings()


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings(trusted_proxies=" 10.0.0.5, 10.1.0.0/16 ,::1")
    assert settings.trusted_proxies == "10.0.0.5,10.1.0.0/16,::1"
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        Settings(trusted_proxies="10.0.0.5,proxy.internal")


def test_audit_retention_is_not_negative() -> None:
    assert Settings(audit_retention="0").audit_retention.total_seconds() == 0
    with pytest.raises(ValidationError, match="keep for ever"):
        Settings(audit_retention="-PT1S")


# -- SMTP ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"smtp_host": "mail.example.com"}, "needs GATEHOUSE_SMTP_FROM"),
        (
            {"smtp_host": "mail.example.com", "smtp_from": "not an address"},
            "needs GATEHOUSE_SMTP_FROM",
        ),
        (
            {
                "smtp_host": "mail.example.com",
                "smtp_from": "a@example.com",
                "smtp_security": "none",
            },
            "only for a loopback host",
        ),
        (
            {"smtp_host": "10.0.0.5", "smtp_from": "a@example.com", "smtp_security": "none"},
            "only for a loopback host",
        ),
        (
            {"smtp_host": "mail.example.com", "smtp_from": "a@example.com", "smtp_username": "u"},
            "together",
        ),
        ({"smtp_security": "ssl"}, "starttls"),
    ],
)
def test_smtp_settings_that_cannot_work_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**values)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.53"])
def test_plain_smtp_is_allowed_on_loopback(host: str) -> None:
    settings = Settings(
        smtp_host=host, smtp_from="Sign-in <no-reply@example.com>", smtp_security="none"
    )
    assert settings.smtp_configured


def test_smtp_is_off_by_default_and_its_password_is_secret() -> None:
    assert not Settings().smtp_configured
    settings = Settings(
        smtp_host="mail.example.com",
        smtp_from="no-reply@example.com",
        smtp_username="gatehouse",
        smtp_password="hunter22",  # type: ignore[arg-type]
    )
    assert isinstance(settings.smtp_password, SecretStr) and "hunter22" not in repr(settings)
