"""Importing application milestones from a CSV file, all or nothing.

Every line is checked (``portal.applications.milestone_file``), then against the database and
the rest of the file: the volunteer named exists, the day is not after today (London), and no
two lines give the same volunteer's step on the same day (which of them would be the step's
state?). If anything at all is wrong the file is rejected whole with every bad line named
(``portal.csvimport.ImportRejected``, as the other imports) and nothing is written; otherwise
every new milestone is written in one transaction.

A milestone is an event: a line the force has recorded already (same volunteer, step, outcome
and day) is left as it is, so importing the same file again adds nothing. Recording the force's
own applications is not a disclosure. Log events carry counts only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog

from portal.applications.milestone_file import MilestoneLine, parse_milestone_file
from portal.applications.tables import Milestone
from portal.clock import Clock, local_date, utcnow
from portal.csvimport import ImportRejected, LineError, ParseOutcome
from portal.dbutil import as_date, write_transaction
from portal.organisations.lookup import volunteers_by_reference

log = structlog.get_logger(__name__)

_CHUNK = 500

#: What makes two milestones the same event: volunteer, stage, outcome, day (ISO).
_Event = tuple[str, str, str, str]


@dataclass
class MilestoneImportResult:
    lines: int
    added: int = 0
    existing: int = 0

    @property
    def added_anything(self) -> bool:
        return bool(self.added)


@dataclass
class _Plan:
    """The milestones the file adds, and how many it names that are recorded already."""

    new: list[tuple[str, MilestoneLine]] = field(default_factory=list)
    existing: int = 0


async def _recorded(volunteer_ids: list[str]) -> set[_Event]:
    events: set[_Event] = set()
    for start in range(0, len(volunteer_ids), _CHUNK):
        rows = await Milestone.select(
            Milestone.volunteer, Milestone.stage, Milestone.outcome, Milestone.occurred_on
        ).where(Milestone.volunteer.is_in(volunteer_ids[start : start + _CHUNK]))
        for row in rows:
            day = as_date(row["occurred_on"]).isoformat()
            events.add((str(row["volunteer"]), row["stage"], row["outcome"], day))
    return events


def _unknown(item: MilestoneLine) -> LineError:
    if "@" in item.volunteer:
        message = f"no volunteer has the email address {item.volunteer}"
    else:
        message = "no volunteer has this id"
    return LineError(item.line, "volunteer", message)


async def _plan(lines: list[MilestoneLine], errors: list[LineError]) -> _Plan:
    plan = _Plan()
    found = await volunteers_by_reference(item.volunteer for item in lines)
    recorded = await _recorded(sorted(set(found.values())))
    first: dict[tuple[str, str, str], int] = {}  # volunteer, stage, day -> its line
    for item in lines:
        volunteer_id = found.get(item.volunteer)
        if volunteer_id is None:
            errors.append(_unknown(item))
            continue
        milestone = item.milestone
        day = milestone.occurred_on.isoformat()
        step = (volunteer_id, milestone.stage.value, day)
        earlier = first.setdefault(step, item.line)
        if earlier != item.line:
            errors.append(
                LineError(
                    item.line,
                    "occurred_on",
                    f"line {earlier} already gives this volunteer's {milestone.stage.value} "
                    f"step on {day}; a step has one outcome a day",
                )
            )
        elif (*step[:2], milestone.outcome.value, day) in recorded:
            plan.existing += 1
        else:
            plan.new.append((volunteer_id, item))
    return plan


def _future(lines: list[MilestoneLine], clock: Clock) -> list[LineError]:
    today = local_date(clock())
    return [
        LineError(item.line, "occurred_on", "must be today or earlier")
        for item in lines
        if item.milestone.occurred_on > today
    ]


async def _write(plan: _Plan, imported_by: str, clock: Clock) -> None:
    now = clock()
    rows = [
        Milestone(
            id=uuid.uuid4(),
            volunteer=volunteer_id,
            stage=item.milestone.stage.value,
            outcome=item.milestone.outcome.value,
            occurred_on=item.milestone.occurred_on,
            recorded_by=imported_by,
            recorded_at=now,
        )
        for volunteer_id, item in plan.new
    ]
    for start in range(0, len(rows), _CHUNK):
        await Milestone.insert(*rows[start : start + _CHUNK])


async def import_milestones(
    chunks: Iterable[bytes], *, imported_by: str, clock: Clock = utcnow
) -> MilestoneImportResult:
    """Import a milestone CSV file (lines of bytes, e.g. an open binary file), all or nothing.

    Raises :class:`ImportRejected` naming every bad line; nothing is written then.
    """
    errors: list[LineError] = []
    outcome = ParseOutcome()
    lines = list(parse_milestone_file(chunks, outcome, errors))
    errors += _future(lines, clock)
    try:
        async with write_transaction(Milestone):
            plan = await _plan(lines, errors)
            if errors:
                raise ImportRejected(errors, outcome.rows)
            await _write(plan, imported_by, clock)
    except ImportRejected as rejected:
        log.info("applications.import.rejected", lines=outcome.rows, problems=rejected.total_errors)
        raise
    result = MilestoneImportResult(lines=outcome.rows, added=len(plan.new), existing=plan.existing)
    log.info(
        "applications.import.committed",
        by=imported_by,
        lines=result.lines,
        added=result.added,
        existing=result.existing,
    )
    return result
