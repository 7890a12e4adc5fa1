"""observability.logging: token-shaped values never reach the log."""

from __future__ import annotations

import logging

import pytest

from gatehouse.observability.logging import RedactingFilter, redact

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaSJ9"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYW5kLW1vcmU"
)
RANDOM = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf"  # 43 chars, like a code or secret


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"id_token_hint={JWT}&state=1", JWT),
        (f"token {JWT}.", JWT),
        ("GET /cb?code=abc123&state=xyz", "abc123"),
        ("GET /cb?state=xyz&code=abc123", "abc123"),
        ("body client_id=web&client_secret=hunter2hunter2", "hunter2hunter2"),
        ("password=correct-horse&username=alice", "correct-horse"),
        ("PASSWORD=Tr0ub4dor", "Tr0ub4dor"),
        ("Password=Tr0ub4dor", "Tr0ub4dor"),
        ("refresh_token=rt-short&grant_type=refresh_token", "rt-short"),
        ("access_token=at-short", "at-short"),
        ("code_verifier=v-short", "v-short"),
        ("client_assertion=ca-short", "ca-short"),
        ("token=tok-short", "tok-short"),
        ("nonce=n-0S6_WzA2Mj", "n-0S6_WzA2Mj"),
        (f"session {RANDOM} resumed", RANDOM),
        (f"cookie={RANDOM}", RANDOM),
        (f'"{RANDOM}"', RANDOM),
    ],
)
def test_redact_removes_secrets(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert "redacted" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "user alice signed in to client web",
        "grant_type=authorization_code client_id=web",
        "GET /authorize?response_type=code&scope=openid+profile",
        "key 3f1c2d7e rotated",  # short ids stay readable
        "invalid_request: the redirect_uri parameter is required",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_redact_keeps_the_parameter_name() -> None:
    assert redact("code=abc&state=xyz") == "code=[redacted]&state=[redacted]"
    assert redact(f"Bearer {JWT}") == "Bearer [jwt redacted]"


def test_filter_redacts_formatted_arguments() -> None:
    record = logging.LogRecord(
        "gatehouse",
        logging.INFO,
        __file__,
        1,
        "token request code=%s from %s",
        ("abc123", "web"),
        None,
    )
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "token request code=[redacted] from web"
    assert record.args is None


def test_filter_leaves_clean_records_untouched() -> None:
    record = logging.LogRecord("gatehouse", logging.INFO, __file__, 1, "user %s", ("alice",), None)
    assert RedactingFilter().filter(record) is True
    assert (record.msg, record.args) == ("user %s", ("alice",))


def test_a_logger_with_the_filter_never_emits_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("gatehouse.test.redaction")
    redacting = RedactingFilter()
    logger.addFilter(redacting)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("issued %s to %s", JWT, "web")
    finally:
        logger.removeFilter(redacting)
    assert JWT not in caplog.text
    assert "[jwt redacted] to web" in caplog.text


@pytest.mark.parametrize(
    "text",
    [
        '{"password": "hunter2-secret"}',
        "{'client_secret': 'hunter2-secret'}",
        '{"refresh_token":"hunter2-secret"}',
        "device_code=hunter2-secret",
        "user_code=hunter2-secret",
        "id_token_hint=hunter2-secret",
    ],
)
def test_json_keys_and_device_parameters_are_redacted(text: str) -> None:
    assert "hunter2-secret" not in redact(text)
