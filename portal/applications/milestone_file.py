"""The milestone import file: its columns, and checking one line at a time (pure).

A milestone file is UTF-8 CSV with a header line naming the columns (any order,
case-insensitive), one line per milestone; every column is required:

===========  ==================================================================================
column       value
===========  ==================================================================================
volunteer    the volunteer's id, or their email address as recorded
stage        received, eligibility, assessment, vetting, medical, training_booked,
             training_completed, attested or independent_patrol
outcome      in_progress, passed, not_passed or withdrawn
occurred_on  the day the step reached that outcome (``2026-03-14``), today or earlier
===========  ==================================================================================

There is no other column, and no free text: a milestone holds only a step, its outcome and its
day, so a file that carries anything more (a ``finding``, ``notes`` or ``reason`` column, or a
finding written into the outcome) is refused whole, and no finding of vetting or a medical is
ever held. A message about a stage or outcome never repeats what the cell said, for the same
reason. The rules for a milestone's values are the API's (``MilestoneCreate``), so a file and a
form refuse the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple

from pydantic import ValidationError

from portal.applications.schemas import MilestoneCreate
from portal.applications.stages import Outcome, Stage
from portal.csvimport import (
    Columns,
    FileKind,
    Header,
    LineError,
    ParseOutcome,
    date_cell,
    parse_csv,
    width_error,
)

COLUMNS = Columns(
    ("volunteer", "stage", "outcome", "occurred_on"),
    unknown_note=(
        ". A milestone is only a step, its outcome and its date: no finding of vetting or a "
        "medical, and no note, is ever held, so a file with any other column is refused"
    ),
)
#: An email address is at most this long (as the volunteer record's column).
MAX_VOLUNTEER = 254
_STAGES = {stage.value: stage for stage in Stage}
_OUTCOMES = {outcome.value: outcome for outcome in Outcome}


class MilestoneLine(NamedTuple):
    """A line that passed every check that needs nothing but the line itself."""

    line: int
    #: The volunteer as written: an id, or an email address (lower case).
    volunteer: str
    milestone: MilestoneCreate


def _choice(
    line: int, field: str, text: str, known: Mapping[str, str], errors: list[LineError]
) -> str | None:
    """A stage or outcome by its code (any case); the message never repeats the cell."""
    value = known.get(text.lower())
    if value is None:
        what = "a step" if field == "stage" else "an outcome"
        errors.append(
            LineError(
                line,
                field,
                ("is empty" if not text else f"is not {what}") + "; use one of " + ", ".join(known),
            )
        )
    return value


def _volunteer(line: int, text: str, errors: list[LineError]) -> str | None:
    if not text:
        errors.append(LineError(line, "volunteer", "is empty; give the volunteer's id or email"))
        return None
    if len(text) > MAX_VOLUNTEER:
        errors.append(LineError(line, "volunteer", f"is longer than {MAX_VOLUNTEER} characters"))
        return None
    return text.lower() if "@" in text else text


def _milestone(
    line: int, values: dict[str, str], errors: list[LineError]
) -> MilestoneCreate | None:
    stage = _choice(line, "stage", values["stage"], _STAGES, errors)
    outcome = _choice(line, "outcome", values["outcome"], _OUTCOMES, errors)
    raw_day = values["occurred_on"]
    day = date_cell(line, "occurred_on", raw_day, errors)
    if not raw_day:
        errors.append(LineError(line, "occurred_on", "is empty; give the day, e.g. 2026-03-14"))
    if stage is None or outcome is None or day is None:
        return None
    try:
        return MilestoneCreate(stage=Stage(stage), outcome=Outcome(outcome), occurred_on=day)
    except ValidationError as exc:
        for item in exc.errors():
            field = str(item["loc"][0]) if item.get("loc") else "line"
            message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
            errors.append(LineError(line, field, message))
        return None


def make_checker(header: Header) -> Callable[[int, list[str]], MilestoneLine | list[LineError]]:
    """A checker for the lines of one file (column positions bound once)."""
    positions = header.positions

    def check(line: int, cells: list[str]) -> MilestoneLine | list[LineError]:
        wrong = width_error(line, cells, header)
        if wrong is not None:
            return [wrong]
        values = {name: cells[at].strip() for name, at in positions.items()}
        nul = [name for name, text in values.items() if "\x00" in text]
        if nul:
            return [LineError(line, n, "contains a NUL character (\\0); remove it") for n in nul]
        errors: list[LineError] = []
        volunteer = _volunteer(line, values["volunteer"], errors)
        milestone = _milestone(line, values, errors)
        if errors or volunteer is None or milestone is None:
            return errors
        return MilestoneLine(line, volunteer, milestone)

    return check


MILESTONE_FILE = FileKind(
    columns=COLUMNS, make_checker=make_checker, row_type=MilestoneLine, rows_word="milestones"
)


def parse_milestone_file(
    chunks: Iterable[bytes], outcome: ParseOutcome, errors: list[LineError]
) -> Iterator[MilestoneLine]:
    """Checked milestone lines from a byte stream split into lines, problems in ``errors``."""
    return parse_csv(chunks, MILESTONE_FILE, outcome, errors)
