"""The `gatehouse` command as a whole: migrate, config docs, and start-up errors that must be
one line on stderr rather than a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatehouse.settings import Settings
from gatehouse.storage.sql.migrate import head_revision
from tests.cli.conftest import Gatehouse, cli_environment
from tests.support.postgres import free_port


@pytest.fixture
def bare(tmp_path: Path) -> Gatehouse:
    """The command with a fresh SQLite file: for tests that need no fixture database."""
    return Gatehouse(cli_environment(f"sqlite:///{tmp_path}/fresh/gatehouse.db", tmp_path))


def test_migrate_a_fresh_database(bare: Gatehouse, tmp_path: Path) -> None:
    assert bare.ok("migrate") == {"from": None, "to": head_revision()}
    assert (tmp_path / "fresh" / "gatehouse.db").exists()
    assert bare.ok("migrate") == {"from": head_revision(), "to": head_revision()}


def test_migrate_the_fixture_database_is_a_no_op(gh: Gatehouse) -> None:
    assert gh.ok("migrate") == {"from": head_revision(), "to": head_revision()}


def test_commands_migrate_a_fresh_database_themselves(bare: Gatehouse) -> None:
    assert bare.ok("client", "list") == []
    assert bare.ok("migrate")["from"] == head_revision()


def test_config_docs_lists_every_setting(bare: Gatehouse) -> None:
    result = bare("config", "docs")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Configuration\n")
    for name in Settings.model_fields:
        assert f"`GATEHOUSE_{name.upper()}`" in result.stdout


def test_config_docs_matches_the_committed_page(bare: Gatehouse) -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    if not page.exists():
        pytest.skip("docs/configuration.md has not been generated yet")
    assert bare("config", "docs").stdout == page.read_text()


def test_version_and_help(bare: Gatehouse) -> None:
    version = bare("--version")
    assert version.exit_code == 0 and "version" in version.stdout
    help_text = bare("--help")
    assert help_text.exit_code == 0
    for command in ("serve", "migrate", "client", "user", "scope", "keys", "apply", "config"):
        assert command in help_text.stdout


def test_the_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    env = cli_environment("", tmp_path)
    del env["GATEHOUSE_DATABASE_URL"]
    del env["GATEHOUSE_SECRET_KEY"]
    env["GATEHOUSE_DATA_DIR"] = str(tmp_path / "data")
    Gatehouse(env).ok("scope", "list")
    assert (tmp_path / "data" / "gatehouse.db").exists()
    key_file = tmp_path / "data" / "secret.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


# -- start-up errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["client", "list"], ["migrate"], ["keys", "list"]])
def test_an_unsupported_database_url(bare: Gatehouse, command: list[str]) -> None:
    line = bare.fails(*command, GATEHOUSE_DATABASE_URL="mysql://x")
    assert line.startswith("error: unsupported database 'mysql'")


def test_an_unsupported_database_url_as_an_option(bare: Gatehouse) -> None:
    line = bare.fails("user", "list", "--database-url", "mysql://x")
    assert line.startswith("error: unsupported database 'mysql'")


def test_a_malformed_database_url(bare: Gatehouse) -> None:
    assert "not a database URL" in bare.fails("scope", "list", "--database-url", "not a url")


@pytest.mark.parametrize("command", [["client", "list"], ["migrate"]])
def test_an_unreachable_postgresql_server(bare: Gatehouse, command: list[str]) -> None:
    url = f"postgresql://gatehouse@127.0.0.1:{free_port()}/gatehouse"
    line = bare.fails(*command, "--database-url", url)
    assert "OperationalError" in line and "Connection refused" in line


def test_postgresql_without_a_secret_key(tmp_path: Path) -> None:
    url = f"postgresql://gatehouse@127.0.0.1:{free_port()}/gatehouse"
    env = cli_environment(url, tmp_path)
    del env["GATEHOUSE_SECRET_KEY"]
    assert "GATEHOUSE_SECRET_KEY is required" in Gatehouse(env).fails("client", "list")


def test_a_short_secret_key(bare: Gatehouse) -> None:
    line = bare.fails("client", "list", GATEHOUSE_SECRET_KEY="short")
    assert line.startswith("error: invalid setting GATEHOUSE_SECRET_KEY")


def test_a_different_secret_key_cannot_read_the_signing_keys(gh: Gatehouse) -> None:
    line = gh.fails("keys", "list", GATEHOUSE_SECRET_KEY="another-key-0123456789-abcdefghijklmnop")
    assert "GATEHOUSE_SECRET_KEY" in line


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GATEHOUSE_AUTHORIZATION_CODE_LIFETIME", "600", "AUTHORIZATION_CODE_LIFETIME"),
        ("GATEHOUSE_ACCESS_TOKEN_SIGNING_ALG", "HS256", "ACCESS_TOKEN_SIGNING_ALG"),
        ("GATEHOUSE_ISSUER", "issuer.example", "ISSUER"),
        ("GATEHOUSE_PASSWORD_HASH_MEMORY_KIB", "1024", "PASSWORD_HASH_MEMORY_KIB"),
    ],
)
def test_an_invalid_setting(bare: Gatehouse, name: str, value: str, message: str) -> None:
    line = bare.fails("scope", "list", **{name: value})
    assert line.startswith("error: invalid setting GATEHOUSE_")
    assert message in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "acess_token_lifetime = 60\n",
            "gatehouse.toml: unknown setting acess_token_lifetime "
            "(did you mean access_token_lifetime?)",
        ),
        ('log_level = "loud"\n', "gatehouse.toml: invalid setting log_level: Input should be"),
        ("access_token_lifetime = = 60\n", "cannot be read"),
        (None, "which is not a file"),
    ],
)
def test_a_bad_config_file(bare: Gatehouse, tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "gatehouse.toml"
    if text is not None:
        path.write_text(text)
    assert message in bare.fails("scope", "list", GATEHOUSE_CONFIG_FILE=str(path))


@pytest.mark.parametrize("command", [["scope", "list"], ["migrate"], ["serve"], ["demo"]])
def test_a_misspelled_environment_variable_stops_the_command(
    bare: Gatehouse, command: list[str]
) -> None:
    line = bare.fails(*command, GATEHOUSE_ISUER="https://id.example.com")
    assert line.startswith(
        "error: unknown setting in the environment: GATEHOUSE_ISUER "
        "(did you mean GATEHOUSE_ISSUER?)"
    )


def test_a_config_file_is_used(bare: Gatehouse, tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.toml"
    path.write_text("key_rotation_delay = 90\n")
    rotated = bare.ok("keys", "rotate", "--alg", "ES256", GATEHOUSE_CONFIG_FILE=str(path))
    (created,) = rotated["created"]
    assert created["activates_at"] - created["created_at"] == 90


def test_purge_deletes_what_expired_and_says_how_much(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", "https://a.example/cb")
    result = gh.ok("purge")
    assert set(result["deleted"]) >= {"authorization_codes", "sso_sessions", "refresh_tokens"}
    assert result["total"] == sum(result["deleted"].values())
