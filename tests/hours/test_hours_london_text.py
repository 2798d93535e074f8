"""The cached London time text equals the zoneinfo conversion for every second."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal.clock import UTC
from portal.hours.periods import london_iso, london_iso_s

# 2024's clock changes (01:00 UTC on the last Sundays of March and October), either side.
SPRING_2024 = 1_711_846_800
AUTUMN_2024 = 1_729_990_800


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=-5_000_000_000, max_value=5_000_000_000))
@example(SPRING_2024 - 1)
@example(SPRING_2024)
@example(AUTUMN_2024 - 1)
@example(AUTUMN_2024)
@example(-3_900_000_000)  # 1846: local mean time, an offset of -00:01:15
def test_london_iso_s_is_london_iso(seconds: int) -> None:
    assert london_iso_s(seconds) == london_iso(dt.datetime.fromtimestamp(seconds, UTC))
