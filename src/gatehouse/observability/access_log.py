"""gatehouse's access log: one line per HTTP request with its method, path, status and
duration. Never the query string: it can carry codes and ``state`` (docs/security.md).

Lines go to the logger ``gatehouse.access``, so an application that embeds gatehouse's ASGI
app routes them with its own logging set-up. The server's workers instead give the log the
handler :func:`configure_logging` installed, and lines are written straight to that
handler's stream, formatted as the handler formats every other line. That skips `logging`'s
record, filter and formatter machinery, which cost about 11 µs a line: 4 % of a
client_credentials token request (docs/benchmarks.md); and the lines of one step of the
event loop are written together, in one system call. Either way the level of
``gatehouse.access`` (or the root's, ``GATEHOUSE_LOG_LEVEL``) decides whether a line is
written, and every line passes through :func:`redact`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TextIO

from gatehouse.observability.logging import LineFormatter, redact

logger = logging.getLogger("gatehouse.access")


class AccessLog:
    def __init__(self, handler: logging.StreamHandler[TextIO] | None = None) -> None:
        self._handler = handler
        self._formatter: LineFormatter | None = None
        self._pending: list[str] = []  # lines to write at the end of this event-loop step
        if handler is not None:
            if not isinstance(handler.formatter, LineFormatter):
                raise ValueError("the access log writes directly only through a LineFormatter")
            self._formatter = handler.formatter

    def request(self, method: str, path: str, status: int, seconds: float) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        if not path.isprintable():
            path = _escaped(path)
        if self._handler is None or self._formatter is None:
            logger.info("%s %s %s %.1fms", method, path, status, seconds * 1000)
            return
        message = redact(f"{method} {path} {status} {seconds * 1000:.1f}ms")
        line = self._formatter.line(logging.INFO, logger.name, message) + self._handler.terminator
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write(line)
            return
        # The lines of the requests answered in one step of the event loop go out as one
        # write (one system call) at the end of that step.
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append(line)

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        if lines:
            self._write("".join(lines))

    def _write(self, text: str) -> None:
        if self._handler is None:
            return
        with self._handler.lock:  # type: ignore[union-attr]  # every Handler has one
            self._handler.stream.write(text)
            self._handler.stream.flush()


def _escaped(path: str) -> str:
    """The path with every unprintable character escaped as Python writes it (\\n, \\x1b,
    \\u2028). The path is
    percent-decoded request input: a decoded newline would start a forged log line, and a
    NUL or a terminal escape sequence corrupts what reads the log."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in path
    )
