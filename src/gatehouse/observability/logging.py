"""Logging that never carries a token, code, secret or password.

Defence in depth: code never logs such values on purpose, and this filter masks anything
token-shaped that slips into a message anyway (JWTs, long random strings, credential
parameters in query strings).
"""

from __future__ import annotations

import logging
import re
import time
from typing import TextIO

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_CREDENTIAL_NAMES = (
    r"code|access_token|refresh_token|id_token|client_secret|password|code_verifier|token|"
    r"assertion|client_assertion|state|nonce|device_code|user_code|id_token_hint|secret"
)
_CREDENTIAL_PARAM = re.compile(rf"(?i)\b({_CREDENTIAL_NAMES})=([^&\s\"']+)")
# The same names as JSON or repr keys: "password": "…" or 'client_secret': '…'
_CREDENTIAL_JSON = re.compile(rf"(?i)([\"'])({_CREDENTIAL_NAMES})\1(\s*:\s*)([\"'])(.*?)\4")
_LONG_RANDOM = re.compile(r"\b[A-Za-z0-9_-]{40,}\b")
# Something each pattern above needs: a message without any of these is left as it is, after
# one scan instead of four (most lines, the access log's above all, have none).
_MAY_NEED_REDACTING = re.compile(r"eyJ|=|[\"']|[A-Za-z0-9_-]{40}")


def redact(text: str) -> str:
    if _MAY_NEED_REDACTING.search(text) is None:
        return text
    text = _JWT.sub("[jwt redacted]", text)
    text = _CREDENTIAL_PARAM.sub(lambda m: f"{m.group(1)}=[redacted]", text)
    text = _CREDENTIAL_JSON.sub(
        lambda m: (
            f"{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}[redacted]{m.group(4)}"
        ),
        text,
    )
    return _LONG_RANDOM.sub("[redacted]", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class LineFormatter(logging.Formatter):
    """``<local time>,<ms> <LEVEL> <logger> <message>``: the line format of every log line.

    Also formats lines that never were records (the access log's, see access_log.py), and
    formats the seconds of the timestamp once per second instead of once per line.
    """

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        # (second, its text): one tuple, so that threads formatting at once never pair a
        # second with another second's text.
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        return f"{self._second_text(int(record.created))},{int(record.msecs):03d}"

    def line(self, level: int, name: str, message: str) -> str:
        """The line a record of ``level`` from logger ``name`` with ``message`` would get now."""
        second, nanoseconds = divmod(time.time_ns(), 1_000_000_000)
        timestamp = f"{self._second_text(second)},{nanoseconds // 1_000_000:03d}"
        return f"{timestamp} {logging.getLevelName(level)} {name} {message}"

    def _second_text(self, second: int) -> str:
        # logging.Formatter's default: time.strftime("%Y-%m-%d %H:%M:%S") of the local time
        # (then ",%03d" milliseconds).
        cached, text = self._second
        if cached != second:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return text


def configure_logging(level: str = "info") -> logging.StreamHandler[TextIO]:
    """Log to standard error through one handler, which is returned: the server's workers
    give it to the access log (access_log.py)."""
    # The format names none of these, and gathering them (a walk up the stack for the
    # caller's file and line above all) was most of the cost of an access-log line.
    # The logging HOWTO's "Optimization" section lists these switches.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler: logging.StreamHandler[TextIO] = logging.StreamHandler()
    handler.setFormatter(LineFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log prints full URLs, codes included; gatehouse logs its own.
    logging.getLogger("uvicorn.access").disabled = True
    return handler
