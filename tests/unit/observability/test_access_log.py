"""observability.access_log: one line per request, in the log's own format, never a secret."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import sys
import time
from collections.abc import Iterator
from typing import TextIO

import pytest

from gatehouse.observability.access_log import AccessLog
from gatehouse.observability.logging import LineFormatter, RedactingFilter

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaSJ9"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYW5kLW1vcmU"
)
LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO gatehouse\.access (?P<message>.*)\n")


@pytest.fixture
def handler() -> logging.StreamHandler[TextIO]:
    """A handler as configure_logging builds it, writing to memory."""
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(io.StringIO())
    handler.setFormatter(LineFormatter())
    handler.addFilter(RedactingFilter())
    return handler


@pytest.fixture
def access_logger_level() -> Iterator[None]:
    logger = logging.getLogger("gatehouse.access")
    before = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(before)


def written(handler: logging.StreamHandler[TextIO]) -> str:
    stream = handler.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


@pytest.mark.usefixtures("access_logger_level")
def test_a_request_is_one_line_in_the_handlers_format(
    handler: logging.StreamHandler[TextIO],
) -> None:
    AccessLog(handler).request("POST", "/token", 200, 0.00153)

    line = LINE.fullmatch(written(handler))
    assert line is not None, written(handler)
    assert line["message"] == "POST /token 200 1.5ms"


@pytest.mark.usefixtures("access_logger_level")
def test_the_direct_line_is_the_line_logging_would_have_written(
    handler: logging.StreamHandler[TextIO],
) -> None:
    """The same line a record would give, timestamp format included, so that the access log
    and every other line read alike."""
    AccessLog(handler).request("GET", "/jwks", 200, 0.0004)
    direct = written(handler)
    record = logging.LogRecord(
        "gatehouse.access", logging.INFO, "", 0, "GET /jwks 200 0.4ms", (), None
    )
    through_logging = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")

    assert direct.split(" ", 2)[2] == through_logging.format(record).split(" ", 2)[2] + "\n"
    # Both timestamps are logging's default: local time, then milliseconds after a comma.
    stamp = " ".join(direct.split(" ", 2)[:2])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", stamp)
    assert abs(time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) - time.time()) < 5


def test_line_formatter_formats_records_as_logging_formatter_does() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        exc_info = sys.exc_info()
    for created in (time.time(), 1_700_000_000.0005, 1_700_000_000.9995):
        record = logging.LogRecord("gatehouse", logging.ERROR, "", 0, "failed %s", ("x",), exc_info)
        record.created = created
        record.msecs = int((created - int(created)) * 1000) + 0.0
        expected = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(
            record
        )
        record.exc_text = None  # formatted again below, not taken from the first format
        assert LineFormatter().format(record) == expected


@pytest.mark.usefixtures("access_logger_level")
def test_a_token_in_the_path_is_redacted(handler: logging.StreamHandler[TextIO]) -> None:
    AccessLog(handler).request("GET", f"/{JWT}", 404, 0.001)

    assert JWT not in written(handler)
    assert "GET /[jwt redacted] 404" in written(handler)


def test_nothing_is_written_above_info(handler: logging.StreamHandler[TextIO]) -> None:
    logger = logging.getLogger("gatehouse.access")
    before = logger.level
    logger.setLevel(logging.WARNING)
    try:
        AccessLog(handler).request("POST", "/token", 200, 0.001)
    finally:
        logger.setLevel(before)

    assert written(handler) == ""


@pytest.mark.usefixtures("access_logger_level")
def test_without_a_handler_lines_go_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    """An application embedding gatehouse's app routes the access log with its own logging."""
    caplog.set_level(logging.INFO, logger="gatehouse.access")

    AccessLog().request("POST", "/token", 400, 0.002)

    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("gatehouse.access", logging.INFO, "POST /token 400 2.0ms")
    ]


def test_a_handler_with_another_format_is_refused() -> None:
    other: logging.StreamHandler[TextIO] = logging.StreamHandler(io.StringIO())
    other.setFormatter(logging.Formatter("%(message)s"))

    with pytest.raises(ValueError, match="LineFormatter"):
        AccessLog(other)


@pytest.mark.usefixtures("access_logger_level")
@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/x\n2026-12-01 08:00:00,000 INFO gatehouse.access POST /token 200 1.0ms", "/x\\n2026"),
        ("/a\x00b", "/a\\x00b"),
        ("/a\x1b[31mred", "/a\\x1b[31mred"),
        ("/a\u2028b", "/a\\u2028b"),
    ],
    ids=["newline", "nul", "terminal-escape", "line-separator"],
)
def test_a_path_cannot_forge_or_corrupt_log_lines(
    handler: logging.StreamHandler[TextIO], path: str, shown: str
) -> None:
    """The path is percent-decoded request input: its unprintable characters are escaped, so
    a request writes exactly one line."""
    AccessLog(handler).request("GET", path, 404, 0.001)
    text = written(handler)
    assert text.count("\n") == 1 and text.endswith("\n")
    line = LINE.fullmatch(text)
    assert line is not None, text
    assert line["message"].startswith(f"GET {shown}")


@pytest.mark.usefixtures("access_logger_level")
def test_an_ordinary_path_is_written_as_it_is(handler: logging.StreamHandler[TextIO]) -> None:
    AccessLog(handler).request("GET", "/demo/é-ü", 200, 0.001)
    assert "GET /demo/é-ü 200" in written(handler)


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.mark.usefixtures("access_logger_level")
def test_the_lines_of_one_event_loop_step_are_one_write() -> None:
    """In a server, the requests answered in one step of the event loop are logged with one
    system call at the end of the step, in the order they were answered."""
    stream = CountingStream()
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler(stream)
    handler.setFormatter(LineFormatter())
    log = AccessLog(handler)

    async def answer_two() -> str:
        log.request("POST", "/token", 200, 0.001)
        log.request("GET", "/jwks", 200, 0.001)
        before_the_step_ended = stream.getvalue()
        await asyncio.sleep(0)  # the step ends
        return before_the_step_ended

    assert asyncio.run(answer_two()) == ""
    lines = [LINE.fullmatch(line + "\n") for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines if line] == [
        "POST /token 200 1.0ms",
        "GET /jwks 200 1.0ms",
    ]
    assert stream.writes == 1
