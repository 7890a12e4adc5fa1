"""accounts.selfservice.mail: how long a link works, in the unit an email says it in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.accounts.selfservice.mail import Duration, in_whole_units


@pytest.mark.parametrize(
    ("lifetime", "duration"),
    [
        (timedelta(hours=24), Duration(1, "day")),
        (timedelta(days=3), Duration(3, "day")),
        (timedelta(hours=36), Duration(36, "hour")),
        (timedelta(hours=1), Duration(1, "hour")),
        (timedelta(minutes=90), Duration(90, "minute")),
        (timedelta(minutes=30), Duration(30, "minute")),
        (timedelta(seconds=150), Duration(2, "minute")),
    ],
)
def test_a_lifetime_in_its_largest_whole_unit(lifetime: timedelta, duration: Duration) -> None:
    assert in_whole_units(lifetime) == duration
