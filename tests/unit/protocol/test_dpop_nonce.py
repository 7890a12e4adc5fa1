"""protocol.dpop_nonce: stateless server nonces (RFC 9449 §8), good in their period and the
next, under one key, never forged or stretched."""

from __future__ import annotations

import pytest

from gatehouse.protocol.dpop_nonce import NONCE_PERIOD, current_nonce, nonce_is_current

KEY = b"k" * 32
NOW = 1_800_000_000


def test_a_nonce_is_good_in_its_period_and_the_next() -> None:
    nonce = current_nonce(KEY, NOW)
    start = NOW - NOW % NONCE_PERIOD
    assert nonce_is_current(KEY, nonce, start)
    assert nonce_is_current(KEY, nonce, start + 2 * NONCE_PERIOD - 1)
    assert not nonce_is_current(KEY, nonce, start + 2 * NONCE_PERIOD)
    # Nor before its period: a nonce from the future is no current nonce.
    assert not nonce_is_current(KEY, nonce, start - 1)


def test_every_worker_with_the_same_key_agrees() -> None:
    assert current_nonce(KEY, NOW) == current_nonce(KEY, NOW + 1)
    assert nonce_is_current(KEY, current_nonce(KEY, NOW), NOW)


@pytest.mark.parametrize(
    "forged",
    [
        current_nonce(b"another key".ljust(32, b"x"), NOW),  # another deployment's
        current_nonce(KEY, NOW)[:-2] + "AA",  # a changed MAC
        # A later period's number with this period's MAC: the MAC binds the period.
        f"{NOW // NONCE_PERIOD + 1:x}." + current_nonce(KEY, NOW).partition(".")[2],
        "no-dot-at-all",
        "zz." + current_nonce(KEY, NOW).partition(".")[2],  # not a hex period
        current_nonce(KEY, NOW) + "x" * 64,  # too long
        "",
    ],
)
def test_what_is_no_current_nonce(forged: str) -> None:
    assert not nonce_is_current(KEY, forged, NOW)
