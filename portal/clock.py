"""Time, in one place: the current instant, London dates, and an injectable clock.

Every rule that says "today" means today in Europe/London (employment spells, agreements, leave
years, reports), and every stored instant is timezone-aware UTC. Services take a :data:`Clock`
(default :func:`utcnow`) so a test can fix the time instead of racing midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC

#: Something that says what time it is now (timezone-aware UTC).
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware UTC."""
    return dt.datetime.now(UTC)


def local_date(instant: dt.datetime) -> dt.date:
    """The London calendar date of an aware instant (naive instants are refused)."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(LONDON).date()
