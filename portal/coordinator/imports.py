"""Importing volunteers and their employment links from a CSV file, all or nothing.

Every line is checked (``portal.coordinator.volunteer_file``) and then against the database:
the employer named exists, a job does not overlap one recorded (or another line) for the same
volunteer and employer, lines with the same email agree. If anything at all is wrong the file is
rejected whole with every bad line named (``portal.csvimport.ImportRejected``, as the duty
import) and nothing is written; otherwise every new volunteer and link is written in one
transaction.

The key is the email address (unique among volunteers): a line whose email is recorded already
matches that volunteer, who is left as recorded (a re-import never changes anyone: a status or
contact change is made on the volunteer's page, where it is kept as history). A job is the same
job when the volunteer, employer and first day are: recorded already, it is left alone. So
importing the same file again adds nothing. The reading is the force's own records: not a
disclosure. Log events carry counts only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog

from portal.coordinator.volunteer_file import VolunteerLine, parse_volunteer_file
from portal.csvimport import ImportRejected, LineError, ParseOutcome
from portal.dbutil import as_date, is_unique_violation, write_transaction
from portal.errors import Conflict
from portal.ids import parse_id
from portal.organisations.folding import fold
from portal.organisations.tables import Employment, Organisation, OrganisationKind, Volunteer

log = structlog.get_logger(__name__)

_CHUNK = 500


@dataclass
class VolunteerImportResult:
    lines: int
    volunteers_added: int = 0
    volunteers_existing: int = 0
    links_added: int = 0
    links_existing: int = 0

    @property
    def added_anything(self) -> bool:
        return bool(self.volunteers_added or self.links_added)


@dataclass
class _Plan:
    """What the file adds, and what it names that is recorded already."""

    volunteers: dict[str, Volunteer] = field(default_factory=dict)  # email -> new row
    existing: dict[str, str] = field(default_factory=dict)  # email -> recorded id
    links: list[Employment] = field(default_factory=list)
    links_existing: int = 0


def _same_person(lines: list[VolunteerLine], errors: list[LineError]) -> dict[str, VolunteerLine]:
    """The first line of each email; later lines with other details are problems."""
    first: dict[str, VolunteerLine] = {}
    for item in lines:
        email = item.volunteer.email
        seen = first.get(email)
        if seen is None:
            first[email] = item
        elif seen.volunteer != item.volunteer:
            errors.append(
                LineError(
                    item.line,
                    "email",
                    f"this email is on line {seen.line} with other details; a volunteer's "
                    "lines must agree",
                )
            )
    return first


async def _in_chunks(column: Any, values: list[Any], *columns: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    table = column._meta.table
    for start in range(0, len(values), _CHUNK):
        rows += await table.select(*columns).where(column.is_in(values[start : start + _CHUNK]))
    return rows


async def _employer_lookup() -> dict[str, str]:
    """Employer id and case-folded name -> id."""
    lookup: dict[str, str] = {}
    rows = await Organisation.select(Organisation.id, Organisation.name).where(
        Organisation.kind == OrganisationKind.EMPLOYER.value
    )
    for row in rows:
        key = str(row["id"])
        lookup[key] = key
        lookup[row["name"].casefold()] = key
    return lookup


def _employer_of(text: str, lookup: dict[str, str]) -> str | None:
    return lookup.get(parse_id(text) or "") or lookup.get(text.casefold())


def _overlap(a: tuple[dt.date, dt.date | None], b: tuple[dt.date, dt.date | None]) -> bool:
    return (a[1] is None or b[0] <= a[1]) and (b[1] is None or a[0] <= b[1])


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "ongoing"


class _Links:
    """The jobs recorded and those planned so far, per volunteer and employer."""

    def __init__(self, recorded: list[dict[str, Any]]) -> None:
        self.jobs: dict[tuple[str, str], list[tuple[dt.date, dt.date | None, int]]] = {}
        for row in recorded:
            key = (str(row["volunteer"]), str(row["employer"]))
            ends = as_date(row["ends_on"]) if row["ends_on"] is not None else None
            self.jobs.setdefault(key, []).append((as_date(row["starts_on"]), ends, 0))

    def place(
        self, key: tuple[str, str], line: int, starts: dt.date, ends: dt.date | None
    ) -> LineError | bool:
        """True: a new job; False: recorded already; or the problem with it."""
        for other_start, other_end, other_line in self.jobs.get(key, []):
            where = f"on line {other_line}" if other_line else "recorded"
            if other_start == starts:
                if other_end == ends and not other_line:
                    return False
                return LineError(
                    line,
                    "starts_on",
                    f"the job starting on {starts.isoformat()} at this employer is {where} "
                    f"already (ending {_day(other_end)}); end a recorded job on the "
                    "volunteer's page",
                )
            if _overlap((starts, ends), (other_start, other_end)):
                return LineError(
                    line,
                    "starts_on",
                    f"overlaps the job at this employer {where} from "
                    f"{other_start.isoformat()} to {_day(other_end)}",
                )
        self.jobs.setdefault(key, []).append((starts, ends, line))
        return True


async def _plan(lines: list[VolunteerLine], errors: list[LineError]) -> _Plan:
    plan = _Plan()
    first = _same_person(lines, errors)
    emails = list(first)
    for row in await _in_chunks(Volunteer.email, emails, Volunteer.id, Volunteer.email):
        plan.existing[row["email"]] = str(row["id"])
    for email, item in first.items():
        if email not in plan.existing:
            person = item.volunteer
            plan.volunteers[email] = Volunteer(
                id=uuid.uuid4(),
                display_name=person.display_name,
                search_key=fold(person.display_name),
                email=email,
                phone=person.phone or "",
                status=person.status.value,
                contact_by_email=person.contact_by_email,
                contact_by_sms=person.contact_by_sms,
                contact_by_phone=person.contact_by_phone,
            )
    employers = await _employer_lookup()
    recorded = await _in_chunks(
        Employment.volunteer,
        list(plan.existing.values()),
        Employment.volunteer,
        Employment.employer,
        Employment.starts_on,
        Employment.ends_on,
    )
    jobs = _Links(recorded)
    for item in lines:
        if not item.employer or item.starts_on is None:
            continue
        employer_id = _employer_of(item.employer, employers)
        if employer_id is None:
            errors.append(
                LineError(
                    item.line, "employer", f"no employer has the id or name '{item.employer}'"
                )
            )
            continue
        email = item.volunteer.email
        volunteer_id = plan.existing.get(email) or str(plan.volunteers[email].id)
        placed = jobs.place((volunteer_id, employer_id), item.line, item.starts_on, item.ends_on)
        if isinstance(placed, LineError):
            errors.append(placed)
        elif placed:
            plan.links.append(
                Employment(
                    volunteer=volunteer_id,
                    employer=employer_id,
                    starts_on=item.starts_on,
                    ends_on=item.ends_on,
                )
            )
        else:
            plan.links_existing += 1
    return plan


async def _write(plan: _Plan) -> None:
    new = list(plan.volunteers.values())
    for start in range(0, len(new), _CHUNK):
        await Volunteer.insert(*new[start : start + _CHUNK])
    for start in range(0, len(plan.links), _CHUNK):
        await Employment.insert(*plan.links[start : start + _CHUNK])


async def import_volunteers(chunks: Iterable[bytes], *, imported_by: str) -> VolunteerImportResult:
    """Import a volunteer CSV file (lines of bytes, e.g. an open binary file), all or nothing.

    Raises :class:`ImportRejected` naming every bad line; nothing is written then.
    """
    errors: list[LineError] = []
    outcome = ParseOutcome()
    lines = list(parse_volunteer_file(chunks, outcome, errors))
    try:
        async with write_transaction(Volunteer):
            plan = await _plan(lines, errors)
            if errors:
                raise ImportRejected(errors, outcome.rows)
            await _write(plan)
    except ImportRejected as rejected:
        log.info("volunteers.import.rejected", lines=outcome.rows, problems=rejected.total_errors)
        raise
    except Exception as exc:
        if is_unique_violation(exc):  # someone added one of these emails meanwhile
            raise Conflict(
                "A volunteer in this file was added by someone else meanwhile; nothing was "
                "imported: import the file again"
            ) from None
        raise
    result = VolunteerImportResult(
        lines=outcome.rows,
        volunteers_added=len(plan.volunteers),
        volunteers_existing=len(plan.existing),
        links_added=len(plan.links),
        links_existing=plan.links_existing,
    )
    log.info(
        "volunteers.import.committed",
        by=imported_by,
        lines=result.lines,
        volunteers_added=result.volunteers_added,
        links_added=result.links_added,
    )
    return result
