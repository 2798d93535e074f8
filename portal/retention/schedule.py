"""The retention schedule applied to one instant: a cutoff for each record kind (pure).

``records.json`` says how long each record kind is kept and from when. Applied to "now" that
gives, per kind, the instant (or, for kinds counted from leaving, the day) before which it has
passed its time. How a kind goes follows from where the force keeps it:

- ``rows``: the kind is rows of its own that can go or be reduced one by one (refused attempts,
  messages, a leaver's contact details and portal account, decided erasure requests);
- ``person``: the kind is part of the person's record and goes when the whole person is erased
  (identity, status, duties, leave, awards, employers, the application);
- ``kept``: the kind is kept for as long as the ledger (consents, objections, disclosures), so
  no run ever erases it.

Two rules say when a whole person is due: an application not taken forward (the person left
without ever serving) is kept for the ``application`` kind's period; a person who served is kept
for the longest period of the person kinds counted from leaving.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from portal.clock import local_date
from portal.vocabulary.records import RecordKind, RecordsHeld

Handling = Literal["rows", "person", "kept"]

#: Record kinds erased row by row; :mod:`portal.retention.erasing` has one eraser for each.
ROW_KINDS = ("refusals", "messages", "contact", "accounts", "erasure-requests")
#: Record kinds counted from leaving that belong to an application rather than a service record.
APPLICATION_KIND = "application"

_PERIOD = re.compile(r"^P([1-9][0-9]*)([YMD])$")


def before(day: dt.date, period: str) -> dt.date:
    """``day`` moved back by an ISO 8601 period of years, months or days (end of month kept:
    29 February one year back is 28 February)."""
    match = _PERIOD.match(period)
    if match is None:
        raise ValueError(f"not a period of years, months or days: {period!r}")
    count, unit = int(match.group(1)), match.group(2)
    if unit == "D":
        return day - dt.timedelta(days=count)
    months = day.year * 12 + day.month - 1 - (count * 12 if unit == "Y" else count)
    year, month = divmod(months, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def instant_before(now: dt.datetime, period: str) -> dt.datetime:
    """``now`` moved back by ``period`` (same time of day, UTC)."""
    moved = before(now.astimezone(dt.UTC).date(), period)
    return now.astimezone(dt.UTC).replace(year=moved.year, month=moved.month, day=moved.day)


def _length(period: str) -> int:
    """Roughly how many days a period lasts: only to choose the longest of several."""
    match = _PERIOD.match(period)
    assert match is not None
    return int(match.group(1)) * {"Y": 366, "M": 31, "D": 1}[match.group(2)]


@dataclass(frozen=True)
class KindCutoff:
    """One record kind under the schedule on one day."""

    code: str
    label: str
    in_words: str
    reason: str
    handling: Handling
    counted_from: str
    #: Rows before this instant (kinds counted from the record), or of persons who left before
    #: this day's midnight UTC (kinds counted from leaving), have passed their time; None: kept.
    cutoff: dt.datetime | None

    @property
    def cutoff_day(self) -> dt.date | None:
        return self.cutoff.date() if self.cutoff is not None else None


@dataclass(frozen=True)
class PersonRule:
    """When a whole person is due for erasure: they left before ``left_before``."""

    rule: str  # the record kind whose period it is
    served: bool
    left_before: dt.date


@dataclass(frozen=True)
class Plan:
    version: str
    now: dt.datetime
    kinds: tuple[KindCutoff, ...]
    not_taken_forward: PersonRule
    served: PersonRule

    def kind(self, code: str) -> KindCutoff:
        return next(k for k in self.kinds if k.code == code)


def _handling(record: RecordKind) -> Handling:
    if record.retention.period is None:
        return "kept"
    return "rows" if record.code in ROW_KINDS else "person"


def _cutoff(record: RecordKind, now: dt.datetime) -> dt.datetime | None:
    period = record.retention.period
    if period is None:
        return None
    if record.retention.counted_from == "leaving":
        day = before(local_date(now), period)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return instant_before(now, period)


def plan(held: RecordsHeld, now: dt.datetime) -> Plan:
    """Every record kind's cutoff at ``now`` and the two rules for persons due."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    kinds = tuple(
        KindCutoff(
            code=r.code,
            label=r.label,
            in_words=held.retention_in_words(r),
            reason=r.retention.reason,
            handling=_handling(r),
            counted_from=r.retention.counted_from,
            cutoff=_cutoff(r, now),
        )
        for r in held.records
    )
    person_kinds = [
        r
        for r in held.records
        if _handling(r) == "person"
        and r.retention.counted_from == "leaving"
        and r.code != APPLICATION_KIND
    ]
    if not person_kinds:
        raise ValueError("the schedule has no person record kind counted from leaving")
    longest = max(person_kinds, key=lambda r: _length(r.retention.period or ""))
    application = held.get(APPLICATION_KIND)
    today = local_date(now)
    return Plan(
        version=held.version,
        now=now,
        kinds=kinds,
        not_taken_forward=PersonRule(
            APPLICATION_KIND, False, before(today, application.retention.period or "")
        ),
        served=PersonRule(longest.code, True, before(today, longest.retention.period or "")),
    )
