"""The volunteer import file: its columns, and checking one line at a time (pure).

A volunteer file is UTF-8 CSV with a header line naming the columns (any order,
case-insensitive), one line per volunteer, or per volunteer and employer:

=====================  ========  ========================================================
column                 required  value
=====================  ========  ========================================================
email                  yes       the volunteer's email address: the key of the import
display_name           yes       the volunteer's full name
phone                  no        digits, spaces, brackets, '-' and a leading '+'
status                 no        applicant (blank), in_training, active or leaver
contact_by_email       no        yes / no (blank: yes)
contact_by_sms         no        yes / no (blank: no)
contact_by_phone       no        yes / no (blank: no)
employer               no        the employer's id or its exact name (any case)
starts_on, ends_on     with      the employment link's first and last day (ISO dates,
                       employer  ``2026-03-14``); ``ends_on`` blank while it goes on
=====================  ========  ========================================================

A volunteer with several employers is on several lines with the same details. The rules for a
volunteer's fields are the API's (``VolunteerCreate``), so a file and a form refuse the same
values with the same words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from pydantic import ValidationError

from portal.csvimport import (
    FLAGS,
    Columns,
    FileKind,
    Header,
    LineError,
    ParseOutcome,
    date_cell,
    parse_csv,
    width_error,
)
from portal.organisations.schemas import VolunteerCreate

VOLUNTEER_FIELDS = (
    "email",
    "display_name",
    "phone",
    "status",
    "contact_by_email",
    "contact_by_sms",
    "contact_by_phone",
)
LINK_FIELDS = ("employer", "starts_on", "ends_on")
COLUMNS = Columns(("email", "display_name"), VOLUNTEER_FIELDS[2:] + LINK_FIELDS)
_FLAG_FIELDS = ("contact_by_email", "contact_by_sms", "contact_by_phone")
MAX_EMPLOYER = 200


class VolunteerLine(NamedTuple):
    """A line that passed every check that needs nothing but the line itself."""

    line: int
    volunteer: VolunteerCreate
    #: The employer as written (an id or a name), or "" for no employment link.
    employer: str
    starts_on: dt.date | None
    ends_on: dt.date | None


def _flags(line: int, values: dict[str, str], errors: list[LineError]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for field in _FLAG_FIELDS:
        text = values.get(field, "")
        if not text:
            continue
        flag = FLAGS.get(text.lower())
        if flag is None:
            errors.append(LineError(line, field, f"'{text[:20]}' is not yes or no"))
        else:
            body[field] = flag
    return body


def _volunteer(
    line: int, values: dict[str, str], errors: list[LineError]
) -> VolunteerCreate | None:
    body: dict[str, Any] = {
        key: values[key]
        for key in ("email", "display_name", "phone", "status")
        if values.get(key) or key in ("email", "display_name")
    }
    body.update(_flags(line, values, errors))
    try:
        return VolunteerCreate.model_validate(body)
    except ValidationError as exc:
        for item in exc.errors():
            field = str(item["loc"][0]) if item.get("loc") else "line"
            message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
            if item.get("type") == "missing" or not values.get(field):
                message = "is empty"
            errors.append(LineError(line, field, message))
        return None


def _link(
    line: int, values: dict[str, str], errors: list[LineError]
) -> tuple[str, dt.date | None, dt.date | None]:
    employer = values.get("employer", "")
    raw_start, raw_end = values.get("starts_on", ""), values.get("ends_on", "")
    starts_on = date_cell(line, "starts_on", raw_start, errors)
    ends_on = date_cell(line, "ends_on", raw_end, errors)
    if len(employer) > MAX_EMPLOYER:
        errors.append(LineError(line, "employer", f"is longer than {MAX_EMPLOYER} characters"))
    if employer and not raw_start:
        errors.append(LineError(line, "starts_on", "give the first day of the job at employer"))
    if not employer and (raw_start or raw_end):
        errors.append(LineError(line, "employer", "a job's dates need the employer"))
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(LineError(line, "ends_on", "the job must not end before it starts"))
    return employer, starts_on, ends_on


def make_checker(header: Header) -> Callable[[int, list[str]], VolunteerLine | list[LineError]]:
    """A checker for the lines of one file (column positions bound once)."""
    positions = header.positions

    def check(line: int, cells: list[str]) -> VolunteerLine | list[LineError]:
        wrong = width_error(line, cells, header)
        if wrong is not None:
            return [wrong]
        values = {name: cells[at].strip() for name, at in positions.items()}
        errors: list[LineError] = []
        nul = [name for name, text in values.items() if "\x00" in text]
        if nul:
            return [LineError(line, n, "contains a NUL character (\\0); remove it") for n in nul]
        volunteer = _volunteer(line, values, errors)
        employer, starts_on, ends_on = _link(line, values, errors)
        if errors or volunteer is None:
            return errors
        return VolunteerLine(line, volunteer, employer, starts_on, ends_on)

    return check


VOLUNTEER_FILE = FileKind(
    columns=COLUMNS, make_checker=make_checker, row_type=VolunteerLine, rows_word="volunteers"
)


def parse_volunteer_file(
    chunks: Iterable[bytes], outcome: ParseOutcome, errors: list[LineError]
) -> Iterator[VolunteerLine]:
    """Checked volunteer lines from a byte stream split into lines, problems in ``errors``."""
    return parse_csv(chunks, VOLUNTEER_FILE, outcome, errors)
