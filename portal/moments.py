"""Reading a moment typed by a person or a script: a plain date or an RFC 3339 timestamp.

The DPO's ledger filters take both on the API and the CLI alike, so one rule reads them. A plain
date is a whole UTC day: as a start it means that day's first moment, as an end the next day's
first moment (so ``until=2026-12-06`` includes all of 6 December).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: The shape a filter accepts, for OpenAPI and the query parameter's own check.
MOMENT_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ][0-9:.]+([Zz]|[+-]\d{2}:?\d{2})?)?$"


class MomentError(ValueError):
    """The text is not a date or a timestamp with a zone; the message says what to type."""


def parse_moment(text: str, *, end_of_day: bool, assume_utc: bool = False) -> datetime:
    """``text`` as an aware UTC datetime.

    ``assume_utc`` reads a timestamp without an offset as UTC (the API's documented rule);
    without it such a timestamp is refused (the CLI's rule: a person should say which zone).
    """
    value = text.strip()
    try:
        if DATE_ONLY.match(value):
            day = date.fromisoformat(value)
            if end_of_day:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise MomentError(
            "is not a date (YYYY-MM-DD) or an RFC 3339 timestamp (e.g. 2026-01-31T17:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        if not assume_utc:
            raise MomentError("has no time zone; add Z or an offset such as +01:00")
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
