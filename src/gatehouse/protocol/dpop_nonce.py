"""Server-provided DPoP nonces (RFC 9449 §8): stateless, so every worker and every server
of a deployment checks what any of them issued without a database round trip.

A nonce names a period of ``NONCE_PERIOD`` seconds and carries an HMAC of it under a key
derived from the deployment's secret key; it is good in its own period and the next, so a
client that fetched one just before a period ended is not refused at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

from gatehouse.crypto import constant_time_equals

NONCE_PERIOD: Final = 120
_MAX_NONCE_LENGTH: Final = 64


def current_nonce(key: bytes, now: int) -> str:
    """The nonce of the current period."""
    return _nonce(key, now // NONCE_PERIOD)


def nonce_is_current(key: bytes, nonce: str, now: int) -> bool:
    """Whether ``nonce`` was issued with ``key`` in this period or the one before."""
    period_text, dot, _ = nonce.partition(".")
    if len(nonce) > _MAX_NONCE_LENGTH or not dot:
        return False
    try:
        period = int(period_text, 16)
    except ValueError:
        return False
    current = now // NONCE_PERIOD
    return period in (current, current - 1) and constant_time_equals(nonce, _nonce(key, period))


def _nonce(key: bytes, period: int) -> str:
    mac = hmac.new(key, f"dpop-nonce {period}".encode("ascii"), hashlib.sha256).digest()
    return f"{period:x}." + base64.urlsafe_b64encode(mac[:18]).decode("ascii")
