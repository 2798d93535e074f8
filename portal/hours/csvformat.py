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

import csv
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from portal.clock import LONDON
from portal.hours.periods import MAX_DUTY, TimeParseError, parse_instant
from portal.hours.tables import DutyType
from portal.ids import parse_id

REQUIRED_COLUMNS = ("volunteer_id", "start", "end", "duty_type", "esp_leave")
OPTIONAL_COLUMNS = ("external_ref", "correction_reason")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
DUTY_TYPES = tuple(t.value for t in DutyType)
_FLAGS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}
_TYPES = {t: t for t in DUTY_TYPES}
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_DUTY_S = int(MAX_DUTY.total_seconds())
#: POSIX seconds of London's midnight per date, for dates without a clock change (else None).
_DAY_BASES: dict[str, int | None] = {}
_DAY_BASES_SIZE = 8192
_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
MAX_REF = 100
MAX_REASON = 500
#: The years a duty may fall in (UTC); a year outside them is taken to be a typing error
#: (``1926`` for ``2026``), and duties are stored as POSIX seconds, which stop at 1970.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
_EARLIEST_S = int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp())
_LATEST_S = int(dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp())
_RANGE = f"duties must lie between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


@dataclass(frozen=True)
class LineError:
    """One problem with one line (``line`` 0 means the file as a whole)."""

    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "message": self.message}


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


class Header:
    """Where each column is, from the header line."""

    def __init__(self, positions: dict[str, int], width: int) -> None:
        self.positions = positions
        self.width = width


def read_header(cells: list[str], line: int = 1) -> Header | list[LineError]:
    names = [c.strip().lower().lstrip("\ufeff") for c in cells]
    if len(names) == 1:
        for delimiter, label in _OTHER_DELIMITERS.items():
            if delimiter in cells[0]:
                return [
                    LineError(
                        line,
                        "header",
                        f"the columns are separated by {label}, not commas: save the file "
                        "as comma-separated CSV",
                    )
                ]
    errors: list[LineError] = []
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in positions:
            errors.append(LineError(line, name, f"the column '{name}' appears twice"))
        elif name not in ALL_COLUMNS:
            errors.append(
                LineError(
                    line,
                    name or f"column {index + 1}",
                    f"unknown column '{name}'; the columns are {', '.join(ALL_COLUMNS)}",
                )
            )
        else:
            positions[name] = index
    for name in REQUIRED_COLUMNS:
        if name not in positions:
            errors.append(LineError(line, name, f"the required column '{name}' is missing"))
    if errors:
        return errors
    return Header(positions, len(names))


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
    leave = esp_leave if isinstance(esp_leave, bool) else _FLAGS.get(esp_leave.strip().lower())
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
        if flag not in _FLAGS:
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
    types, flags = _TYPES, _FLAGS

    def check(line: int, cells: list[str]) -> DutyLine | list[LineError]:
        if len(cells) != width:
            return [
                LineError(
                    line,
                    "line",
                    f"has {len(cells)} value{'s' if len(cells) != 1 else ''} but the header "
                    f"names {width} columns",
                )
            ]
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


class _Lines:
    """Decoded lines of a byte stream, a block at a time; a line that is not UTF-8 becomes an
    empty line and an error, so line numbers stay right."""

    BLOCK = 2000

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.errors: list[LineError] = []
        self.bad: list[int] = []
        self.number = 0

    def blocks(self) -> Iterator[list[str]]:
        source = iter(self.chunks)
        while True:
            block = list(itertools.islice(source, self.BLOCK))
            if not block:
                return
            if self.number == 0 and block[0].startswith(b"\xef\xbb\xbf"):
                block[0] = block[0][3:]
            first = self.number + 1
            self.number += len(block)
            try:  # the common case: the whole block is UTF-8
                text = b"".join(block).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                # One element per line read (each ends with its only "\n"); str.splitlines
                # would also split at characters such as U+2028 inside a value.
                parts = text.split("\n")
                if text.endswith("\n"):
                    parts.pop()
                yield parts
                continue
            decoded = []
            for offset, raw in enumerate(block):
                try:
                    decoded.append(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    number = first + offset
                    self.bad.append(number)
                    self.errors.append(
                        LineError(
                            number,
                            "line",
                            f"is not UTF-8 text (byte 0x{raw[exc.start]:02X} at character "
                            f"{exc.start + 1}); save the file as UTF-8 CSV",
                        )
                    )
                    decoded.append("\n")
            yield decoded

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self.blocks())


@dataclass
class ParseOutcome:
    lines: int = 0
    duty_lines: int = 0


def parse_duty_file(
    chunks: Iterable[bytes], outcome: ParseOutcome, errors: list[LineError]
) -> Iterator[DutyLine]:
    """Checked duty lines from a byte stream split into lines, problems appended to ``errors``.

    Streams: only a block of lines is held at a time. ``outcome`` is filled in as it goes.
    """
    lines = _Lines(chunks)
    reader = csv.reader(lines, strict=True)
    check: Callable[[int, list[str]], DutyLine | list[LineError]] | None = None
    seen_any = False
    read_to = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, "line", f"is not valid CSV ({exc})"))
            read_to = reader.line_num
            if check is None:
                break
            continue
        number, first = reader.line_num, read_to + 1
        read_to = number
        if number > first:  # a quoted value ran on over the end of its line
            errors.append(
                LineError(
                    first,
                    "line",
                    f"a quoted value runs on to line {number}; values may not contain line "
                    "breaks (or a closing quote is missing)",
                )
            )
            if check is None:
                break
            continue
        if not any(cells) or (len(cells) == 1 and not cells[0].strip()):
            continue
        if check is not None:
            outcome.duty_lines += 1
            result = check(number, cells)
            if type(result) is DutyLine:
                yield result
            else:
                errors.extend(result)  # type: ignore[arg-type]
            continue
        seen_any = True
        if any(bad < number for bad in lines.bad):  # the header line itself is unreadable
            break
        header = read_header(cells, number)
        if isinstance(header, list):
            errors.extend(header)
            break
        check = make_checker(header)
    errors.extend(lines.errors)
    outcome.lines = lines.number
    if not seen_any and not errors:
        errors.append(LineError(0, "file", "the file is empty"))
    elif check is not None and outcome.duty_lines == 0:
        errors.append(LineError(0, "file", "the file has a header line but no duties"))
