"""Self-service needs email: `policy set` and `serve` refuse to turn it on without SMTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatehouse.policy import TenantPolicy
from gatehouse.runtime import ConfigurationError, build_runtime
from gatehouse.storage.sql.migrate import migrate
from tests.cli.conftest import Gatehouse
from tests.conftest import test_settings as settings_for

SMTP = {
    "GATEHOUSE_SMTP_HOST": "127.0.0.1",
    "GATEHOUSE_SMTP_SECURITY": "none",
    "GATEHOUSE_SMTP_FROM": "no-reply@example.com",
}


@pytest.mark.parametrize(
    "key", ["self_service_registration", "password_reset"], ids=["registration", "reset"]
)
def test_policy_set_refuses_self_service_without_smtp(gh: Gatehouse, key: str) -> None:
    error = gh.fails("policy", "set", f"{key}=true")
    assert f"{key} work by email, and no SMTP server is configured" in error
    assert "GATEHOUSE_SMTP_HOST" in error and f"{key}=false" in error
    assert gh.ok("policy", "show")["policy"][key] is False
    shown = gh.ok("policy", "set", f"{key}=true", **SMTP)
    assert shown["policy"][key] is True and shown["changed_from_default"] == [key]
    # Once on, other keys can change from a shell without the servers' SMTP settings.
    assert gh.ok("policy", "set", "password_min_length=12")["policy"][key] is True


def test_the_password_policy_keys_are_checked(gh: Gatehouse) -> None:
    assert "password_min_length" in gh.fails("policy", "set", "password_min_length=6")
    assert gh.ok("policy", "set", "password_min_length=12")["policy"]["password_min_length"] == 12
    assert "at least 12" in gh.fails(
        "user", "create", "--username", "a", "--password", "k7#pq2!xyz"
    )
    assert "commonly used" in gh.fails(
        "user", "create", "--username", "a", "--password", "password1234"
    )


def test_start_up_refuses_a_policy_that_sends_email_without_smtp(
    database_url: str, tmp_path: Path
) -> None:
    runtime = build_runtime(settings_for(database_url, tmp_path))
    try:
        migrate(runtime.database)
        runtime.check_email_policy()  # off by default: fine
        runtime.store.policy.update(TenantPolicy(password_reset=True))
        with pytest.raises(ConfigurationError, match="password_reset work by email"):
            runtime.check_email_policy()
    finally:
        runtime.close()
    with_smtp = settings_for(
        database_url, tmp_path, smtp_host="localhost", smtp_security="none", smtp_from="a@b.example"
    )
    runtime = build_runtime(with_smtp)
    try:
        runtime.check_email_policy()
        assert runtime.mail_delivery() is not None
    finally:
        runtime.close()
