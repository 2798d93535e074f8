"""The duty import file: its columns, and checking one line at a time (pure).

A duty file is UTF-8 CSV, comma-separated, with a header line naming the columns (any order,
case-insensitive):

===================  ========  ==========================================================
column               required  value
===================  ========  ==========================================================
volunteer_id         yes       the volunteer's id in the portal (a UUID)
start, end           yes       ISO 8601 date and time, e.g. ``2026-03-14T09:00`` (London
                               time) or ``2026-03-14T09:00+00:00`` (with its UTC offset)
duty_type            yes       patrol, event, training, administration or other
esp_leave            yes       yes / no (also true/false, y/n, 1/0): ESP leave or own time
external_ref         no        the duty management system's reference for the duty
correction_reason    no        with an ``external_ref`` already recorded: why this line
                               replaces the recorded duty (a correction, a new version)
===================  ========  ==========================================================

Blank lines are ignored. Every line is checked and every problem reported with its line number
and column; quoted values may contain commas but not line breaks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from portal.clock import LONDON
from portal.csvimport import (
    FLAGS,
    Columns,
    FileKind,
    Header,
    LineError,
    ParseOutcome,
    parse_csv,
    width_error,
)
from portal.hours.periods import MAX_DUTY, TimeParseError, parse_instant
from portal.hours.tables import DutyType
from portal.ids import parse_id

REQUIRED_COLUMNS = ("volunteer_id", "start", "end", "duty_type", "esp_leave")
OPTIONAL_COLUMNS = ("external_ref", "correction_reason")
DUTY_TYPES = tuple(t.value for t in DutyType)
_TYPES = {t: t for t in DUTY_TYPES}
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_DUTY_S = int(MAX_DUTY.total_seconds())
#: POSIX seconds of London's midnight per date, for dates without a clock change (else None).
_DAY_BASES: dict[str, int | None] = {}
_DAY_BASES_SIZE = 8192
MAX_REF = 100
MAX_REASON = 500
#: The years a duty may fall in (UTC); a year outside them is taken to be a typing error
#: (``1926`` for ``2026``), and duties are stored as POSIX seconds, which stop at 1970.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
_EARLIEST_S = int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp())
_LATEST_S = int(dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp())
_RANGE = f"duties must lie between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


class DutyLine(NamedTuple):
    """A line that passed every check that needs nothing but the line itself."""

    line: int
    volunteer_id: str
    #: POSIX seconds (UTC), whole seconds.
    start_s: int
    end_s: int
    duty_type: str
    esp_leave: bool
    external_ref: str
    reason: str


def _day_base(day: str) -> int | None:
    """London's midnight starting ``day`` (``YYYY-MM-DD``) as POSIX seconds, when the offset
    is the same all day; None on the days the clocks change, and for what is not a date."""
    if day in _DAY_BASES:
        return _DAY_BASES[day]
    base = None
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        date = None
    if date is not None and len(day) == 10:
        midnight = dt.datetime(date.year, date.month, date.day, tzinfo=LONDON)
        late = midnight.replace(hour=23, minute=59)
        offset = midnight.utcoffset()
        if offset is not None and offset == late.utcoffset():
            base = int(midnight.timestamp())
    if len(_DAY_BASES) >= _DAY_BASES_SIZE:
        _DAY_BASES.clear()
    _DAY_BASES[day] = base
    return base


def instant_seconds(text: str) -> int:
    """:func:`parse_instant` as POSIX seconds (raises :class:`TimeParseError`), fast.

    The common case skips the general parser: ``YYYY-MM-DDTHH:MM`` London time on a day
    without a clock change (one offset all day, looked up once per date). Anything else,
    including every error message, goes through :func:`parse_instant`.
    """
    if len(text) == 16 and text[13] == ":" and text[10] in "T ":
        base = _day_base(text[:10])
        if base is not None:
            hh, mm = text[11:13], text[14:16]
            if hh.isascii() and hh.isdigit() and mm.isascii() and mm.isdigit():
                hour, minute = int(hh), int(mm)
                if hour < 24 and minute < 60:
                    return base + hour * 3600 + minute * 60
    return int(parse_instant(text).timestamp())


def volunteer_text(value: str) -> str | None:
    """The canonical text of a UUID, or None."""
    if _CANONICAL_UUID.fullmatch(value):
        return value  # the common case, without building a UUID
    return parse_id(value)


def check_values(
    line: int,
    volunteer: str,
    start: str,
    end: str,
    duty_type: str,
    esp_leave: str | bool,
    external_ref: str = "",
    reason: str = "",
) -> DutyLine | list[LineError]:
    """Every check of one duty that needs nothing but its own values."""
    volunteer_id = volunteer_text(volunteer)
    kind = _TYPES.get(duty_type) or _TYPES.get(duty_type.strip().lower())
    leave = esp_leave if isinstance(esp_leave, bool) else FLAGS.get(esp_leave.strip().lower())
    try:
        start_s = instant_seconds(start)
        end_s = instant_seconds(end)
    except TimeParseError:
        start_s = end_s = -1
    if (
        volunteer_id is not None
        and kind is not None
        and leave is not None
        and _EARLIEST_S <= start_s < end_s <= start_s + _MAX_DUTY_S
        and end_s <= _LATEST_S
        and len(external_ref) <= MAX_REF
        and len(reason) <= MAX_REASON
        and (external_ref or not reason)
        and "\x00" not in external_ref
        and "\x00" not in reason
    ):
        return DutyLine(line, volunteer_id, start_s, end_s, kind, leave, external_ref, reason)
    return _problems(line, volunteer, start, end, duty_type, esp_leave, external_ref, reason)


def _problems(
    line: int,
    volunteer: str,
    start: str,
    end: str,
    duty_type: str,
    esp_leave: str | bool,
    external_ref: str,
    reason: str,
) -> list[LineError]:
    """The slow path: name every problem of a line that failed :func:`check_values`."""
    errors: list[LineError] = []
    if volunteer_text(volunteer) is None:
        errors.append(
            LineError(
                line,
                "volunteer_id",
                "is empty" if not volunteer else f"'{volunteer[:40]}' is not a volunteer id",
            )
        )
    errors += _time_problems(line, start, end)
    errors += _type_problems(line, duty_type, esp_leave)
    errors += _text_problems(line, external_ref, reason)
    return errors


def _time_problems(line: int, start: str, end: str) -> list[LineError]:
    """What is wrong with a line's start and end: unreadable, out of range, or out of order."""
    errors: list[LineError] = []
    instants: dict[str, dt.datetime] = {}
    for field, text in (("start", start), ("end", end)):
        try:
            instants[field] = parse_instant(text)
        except TimeParseError as exc:
            errors.append(LineError(line, field, str(exc)))
    for field, instant in instants.items():
        if not _EARLIEST_S <= instant.timestamp() <= _LATEST_S:
            errors.append(
                LineError(line, field, f"{instant.date().isoformat()} is out of range; {_RANGE}")
            )
    if len(instants) == 2:
        starts_at, ends_at = instants["start"], instants["end"]
        if ends_at <= starts_at:
            errors.append(
                LineError(
                    line,
                    "end",
                    "is before the start" if ends_at < starts_at else "is the same as the start",
                )
            )
        elif ends_at - starts_at > MAX_DUTY:
            errors.append(LineError(line, "end", "the duty would last more than 24 hours"))
    return errors


def _type_problems(line: int, duty_type: str, esp_leave: str | bool) -> list[LineError]:
    """What is wrong with a line's duty type and ESP-leave flag."""
    errors: list[LineError] = []
    kind = duty_type.strip().lower()
    if kind not in _TYPES:
        errors.append(
            LineError(
                line,
                "duty_type",
                ("is empty" if not kind else f"'{duty_type[:40]}' is not a duty type")
                + "; use one of "
                + ", ".join(DUTY_TYPES),
            )
        )
    if not isinstance(esp_leave, bool):
        flag = esp_leave.strip().lower()
        if flag not in FLAGS:
            errors.append(
                LineError(
                    line,
                    "esp_leave",
                    ("is empty" if not flag else f"'{esp_leave[:20]}' is not yes or no")
                    + "; write yes (ESP leave) or no (own time)",
                )
            )
    return errors


def _text_problems(line: int, external_ref: str, reason: str) -> list[LineError]:
    """What is wrong with a line's free text: NUL characters, lengths, a reason without a ref."""
    errors: list[LineError] = []
    for field, text in (("external_ref", external_ref), ("correction_reason", reason)):
        if "\x00" in text:
            errors.append(LineError(line, field, "contains a NUL character (\\0); remove it"))
    if len(external_ref) > MAX_REF:
        errors.append(LineError(line, "external_ref", f"is longer than {MAX_REF} characters"))
    if len(reason) > MAX_REASON:
        errors.append(
            LineError(line, "correction_reason", f"is longer than {MAX_REASON} characters")
        )
    if reason and not external_ref:
        errors.append(
            LineError(
                line,
                "correction_reason",
                "a correction needs the external_ref of the duty it corrects",
            )
        )
    return errors


def make_checker(header: Header) -> Callable[[int, list[str]], DutyLine | list[LineError]]:
    """A checker for the lines of one file (column positions bound once, for speed)."""
    width = header.width
    positions = header.positions
    at_volunteer, at_start, at_end = (
        positions["volunteer_id"],
        positions["start"],
        positions["end"],
    )
    at_type, at_leave = positions["duty_type"], positions["esp_leave"]
    at_ref, at_reason = positions.get("external_ref"), positions.get("correction_reason")
    canonical = _CANONICAL_UUID.fullmatch
    types, flags = _TYPES, FLAGS

    def check(line: int, cells: list[str]) -> DutyLine | list[LineError]:
        if len(cells) != width:
            return [width_error(line, cells, header)]  # type: ignore[list-item]
        volunteer = cells[at_volunteer].strip()
        volunteer_id = volunteer if canonical(volunteer) else volunteer_text(volunteer)
        raw_type, raw_leave = cells[at_type], cells[at_leave]
        kind = types.get(raw_type) or types.get(raw_type.strip().lower())
        leave = flags.get(raw_leave)
        if leave is None:
            leave = flags.get(raw_leave.strip().lower())
        ref = cells[at_ref].strip() if at_ref is not None else ""
        reason = cells[at_reason].strip() if at_reason is not None else ""
        try:
            start_s = instant_seconds(cells[at_start])
            end_s = instant_seconds(cells[at_end])
        except TimeParseError:
            start_s = end_s = -1
        if (
            volunteer_id is not None
            and kind is not None
            and leave is not None
            and _EARLIEST_S <= start_s < end_s <= start_s + _MAX_DUTY_S
            and end_s <= _LATEST_S
            and len(ref) <= MAX_REF
            and len(reason) <= MAX_REASON
            and (ref or not reason)
            and "\x00" not in ref
            and "\x00" not in reason
        ):
            return DutyLine(line, volunteer_id, start_s, end_s, kind, leave, ref, reason)
        return _problems(
            line, volunteer, cells[at_start], cells[at_end], raw_type, raw_leave, ref, reason
        )

    return check


DUTY_FILE = FileKind(
    columns=Columns(REQUIRED_COLUMNS, OPTIONAL_COLUMNS),
    make_checker=make_checker,
    row_type=DutyLine,
    rows_word="duties",
)


def parse_duty_file(
    chunks: Iterable[bytes], outcome: ParseOutcome, errors: list[LineError]
) -> Iterator[DutyLine]:
    """Checked duty lines from a byte stream split into lines, problems appended to ``errors``
    (``portal.csvimport.parse_csv`` with the duty file's columns and checker)."""
    return parse_csv(chunks, DUTY_FILE, outcome, errors)
