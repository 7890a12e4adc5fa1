"""cli/options.py: how an unexpected exception becomes the tail of the one error line."""

from __future__ import annotations

import pytest

from gatehouse.cli.options import one_line


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ValueError("no such table: clients"), "ValueError: no such table: clients"),
        (RuntimeError("first line\nSELECT ...\n"), "RuntimeError: first line"),
        (OSError("x" * 400), "OSError: " + "x" * 300),
        # Empty messages once raised IndexError: a traceback instead of the error line.
        (ConnectionError(), "ConnectionError"),
        (ValueError("\n"), "ValueError"),
    ],
)
def test_an_exception_in_one_line(exc: Exception, expected: str) -> None:
    assert one_line(exc) == expected
