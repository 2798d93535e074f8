"""The rules for employers, volunteers and employment links (the coordinator's records).

The coordinator acts for the force, which holds this data: reading it here is not a disclosure.
Anything that shows volunteer data to a recipient organisation goes through the disclosure gate
instead. Log events carry ids only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import structlog
from piccolo.columns.combination import WhereRaw
from piccolo.engine.sqlite import SQLiteEngine

from portal.clock import local_date
from portal.dbutil import as_date, is_unique_violation, json_value, write_transaction
from portal.errors import Conflict, InvalidInput, NotFound
from portal.fielderrors import field_error
from portal.ids import parse_id
from portal.organisations.folding import fold
from portal.organisations.links import reasons_problem, recorded_reasons
from portal.organisations.lookup import existing_volunteer
from portal.organisations.rules import covers
from portal.organisations.schemas import (
    EmployerCreate,
    EmployerLink,
    EmployerOut,
    EmployerPage,
    EmploymentCreate,
    EmploymentOut,
    OrganisationLink,
    VolunteerCreate,
    VolunteerOut,
    VolunteerPage,
    VolunteerSummary,
    VolunteerUpdate,
)
from portal.organisations.search import fold_pending
from portal.organisations.status import next_statuses
from portal.organisations.status_changes import StatusChanges
from portal.organisations.tables import (
    Employment,
    Organisation,
    OrganisationKind,
    Volunteer,
    VolunteerStatus,
)

log = structlog.get_logger(__name__)


# Shared helpers ----------------------------------------------------------------------------------


def _or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def employer_out(row: dict[str, Any]) -> EmployerOut:
    return EmployerOut(
        id=str(row["id"]),
        name=row["name"],
        kind=row["kind"],
        sector=_or_none(row["sector"]),
        size_band=_or_none(row["size_band"]),
        contact_email=_or_none(row["contact_email"]),
        created_at=row["created_at"],
    )


def employment_out(row: dict[str, Any]) -> EmploymentOut:
    return EmploymentOut(
        id=str(row["id"]),
        volunteer_id=str(row["volunteer"]),
        employer_id=str(row["employer"]),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        created_at=row["created_at"],
        reasons=list(json_value(row["reasons"]) or []),
    )


def _link_problems(kind: str | None, data: EmploymentCreate) -> list[dict[str, str]]:
    """What is wrong with a link to an organisation of ``kind`` (``None``: no organisation)."""
    errors = []
    if kind is None:
        errors.append({"field": "employer_id", "message": "no employer has this id"})
    elif kind not in RECIPIENT_KINDS:
        errors.append(
            {
                "field": "employer_id",
                "message": "this organisation is not an employer, police force or partner",
            }
        )
    elif (problem := reasons_problem(kind, data.reasons)) is not None:
        errors.append({"field": "reasons", "message": problem})
    if data.ends_on is not None and data.ends_on < data.starts_on:
        errors.append({"field": "ends_on", "message": "the job must not end before it starts"})
    return errors


def _overlaps(
    start: dt.date, end: dt.date | None, other_start: dt.date, other_end: dt.date | None
) -> bool:
    """Inclusive date ranges, ``None`` meaning open-ended."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)


def _name_taken() -> Conflict:
    return Conflict(
        "An organisation with this name already exists",
        errors=[{"field": "name", "message": "an organisation with this name exists"}],
    )


#: Organisations the force shares data with under an agreement, and links volunteers to.
RECIPIENT_KINDS = (
    OrganisationKind.EMPLOYER.value,
    OrganisationKind.POLICE_FORCE.value,
    OrganisationKind.PARTNER.value,
)
_RECIPIENT = Organisation.kind.is_in(list(RECIPIENT_KINDS))


#: Most characters of a name search that are used (a name is at most 200).
MAX_SEARCH = 100


def name_search(text: str) -> Any:
    """The condition "the folded name contains every word of ``text``" (case, accents and
    punctuation ignored: ``portal.organisations.folding``, the DPO search's fold), or None when
    nothing is left to search for. It reads ``search_key``: callers fold any row still without
    one first (:func:`portal.organisations.search.fold_pending`). A folded word holds only
    letters and digits, so it needs no escaping inside ``LIKE``."""
    condition: Any = None
    for word in fold(text[:MAX_SEARCH]).split()[:8]:
        part = WhereRaw("search_key LIKE {}", f"%{word}%")
        condition = part if condition is None else condition & part
    return condition


class OrganisationService:
    """Employers, volunteers and the links between them."""

    def __init__(self, statuses: StatusChanges | None = None) -> None:
        self.statuses = statuses or StatusChanges()

    # Employers -----------------------------------------------------------------------------------

    async def create_employer(self, data: EmployerCreate) -> EmployerOut:
        if await Organisation.exists().where(WhereRaw("LOWER(name) = {}", data.name.lower())):
            raise _name_taken()
        row = Organisation(
            name=data.name,
            kind=data.kind.value,
            sector=data.sector or "",
            size_band=data.size_band.value if data.size_band else "",
            contact_email=data.contact_email or "",
        )
        try:
            await row.save()
        except Exception as exc:
            if is_unique_violation(exc):
                raise _name_taken() from None
            raise
        log.info("employer.created", organisation_id=str(row.id), kind=data.kind.value)
        return await self.get_employer(str(row.id))

    async def list_employers(
        self, limit: int, offset: int, kind: str = OrganisationKind.EMPLOYER.value
    ) -> EmployerPage:
        """Organisations of one recipient kind (employers unless asked), in name order."""
        of_kind = Organisation.kind == kind
        total = await Organisation.count().where(of_kind)
        rows = (
            await Organisation.select()
            .where(of_kind)
            .order_by(Organisation.name)
            .order_by(Organisation.id)
            .limit(limit)
            .offset(offset)
        )
        return EmployerPage(
            items=[employer_out(r) for r in rows], total=total, limit=limit, offset=offset
        )

    async def get_employer(self, employer_id: str) -> EmployerOut:
        key = parse_id(employer_id)
        row = (
            await Organisation.select().where(_RECIPIENT & (Organisation.id == key)).first()
            if key
            else None
        )
        if row is None:
            raise NotFound("No employer, police force or partner has this id")
        return employer_out(row)

    # Volunteers ----------------------------------------------------------------------------------

    async def create_volunteer(self, data: VolunteerCreate) -> VolunteerOut:
        conflict = Conflict(
            "A volunteer with this email address already exists",
            errors=[{"field": "email", "message": "a volunteer with this email address exists"}],
        )
        if await Volunteer.exists().where(Volunteer.email == data.email):
            raise conflict
        row = Volunteer(
            display_name=data.display_name,
            search_key=fold(data.display_name),
            email=data.email,
            phone=data.phone or "",
            status=data.status.value,
            contact_by_email=data.contact_by_email,
            contact_by_sms=data.contact_by_sms,
            contact_by_phone=data.contact_by_phone,
        )
        try:
            await row.save()
        except Exception as exc:
            if is_unique_violation(exc):
                raise conflict from None
            raise
        log.info("volunteer.created", volunteer_id=str(row.id), status=data.status.value)
        return await self.get_volunteer(str(row.id))

    async def list_volunteers(
        self,
        limit: int,
        offset: int,
        status: VolunteerStatus | None = None,
        name: str | None = None,
    ) -> VolunteerPage:
        """A page of volunteers in name order (then id: a stable order for paging), optionally
        only one status and only names containing every word of ``name``."""
        where = Volunteer.status == status.value if status else None
        if name:
            found = name_search(name)
            if found is not None:
                await fold_pending()  # rows written without the key (or renamed) are found too
                where = found if where is None else where & found
        count = Volunteer.count()
        query = Volunteer.select(
            Volunteer.id, Volunteer.subject, Volunteer.display_name, Volunteer.status
        )
        if where is not None:
            count = count.where(where)
            query = query.where(where)
        rows = (
            await query.order_by(Volunteer.display_name)
            .order_by(Volunteer.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            VolunteerSummary(
                id=str(r["id"]),
                subject=r["subject"],
                display_name=r["display_name"],
                status=VolunteerStatus(r["status"]),
            )
            for r in rows
        ]
        return VolunteerPage(items=items, total=await count, limit=limit, offset=offset)

    async def get_volunteer(self, volunteer_id: str) -> VolunteerOut:
        key = parse_id(volunteer_id)
        row = await Volunteer.select().where(Volunteer.id == key).first() if key else None
        if row is None:
            raise NotFound("No volunteer has this id")
        links = (
            await Employment.select()
            .where(Employment.volunteer == key)
            .order_by(Employment.starts_on)
            .order_by(Employment.id)
        )
        return VolunteerOut(
            id=str(row["id"]),
            subject=row["subject"],
            display_name=row["display_name"],
            status=VolunteerStatus(row["status"]),
            email=row["email"],
            phone=_or_none(row["phone"]),
            contact_by_email=row["contact_by_email"],
            contact_by_sms=row["contact_by_sms"],
            contact_by_phone=row["contact_by_phone"],
            disclosure_digest=bool(row["disclosure_digest"]),
            created_at=row["created_at"],
            employments=[employment_out(link) for link in links],
            next_statuses=list(next_statuses(VolunteerStatus(row["status"]))),
            status_history=await self.statuses.history(str(key)),
        )

    async def update_volunteer(
        self, volunteer_id: str, data: VolunteerUpdate, *, by: str = "", channel: str = "api"
    ) -> VolunteerOut:
        """Change what was sent. A new ``status`` is a change of status effective today, kept
        in the history and allowed only along the moves of ``portal.organisations.status``
        (the same status again changes nothing)."""
        key = await existing_volunteer(volunteer_id)
        sent = sorted(data.model_fields_set)
        if not sent:
            raise field_error(
                "body",
                "send at least one of status, contact_by_email, contact_by_sms, contact_by_phone, "
                "disclosure_digest",
            )
        nulls = [name for name in sent if getattr(data, name) is None]
        if nulls:
            raise InvalidInput(
                "Invalid value for: " + ", ".join(nulls),
                errors=[{"field": name, "message": "must not be null"} for name in nulls],
            )
        if data.status is not None:
            current = await Volunteer.select(Volunteer.status).where(Volunteer.id == key).first()
            if current is not None and current["status"] != data.status.value:
                today = local_date(self.statuses.clock())
                await self.statuses.change(
                    str(key), data.status, today, recorded_by=by, channel=channel
                )
        values = {getattr(Volunteer, n): getattr(data, n) for n in sent if n != "status"}
        if values:
            await Volunteer.update(values).where(Volunteer.id == key)
        log.info("volunteer.updated", volunteer_id=str(key), fields=sent)
        return await self.get_volunteer(str(key))

    async def employers_of(
        self, volunteer_ids: list[str], today: dt.date
    ) -> dict[str, list[EmployerLink]]:
        """Each volunteer's employers (current first, then by name), from the force's records."""
        if not volunteer_ids:
            return {}
        rows = await (
            Employment.select(
                Employment.volunteer,
                Employment.employer,
                Employment.employer.name.as_alias("employer_name"),
                Employment.starts_on,
                Employment.ends_on,
            )
            .where(Employment.volunteer.is_in(volunteer_ids))
            .order_by(Employment.starts_on, ascending=False)
        )
        links: dict[str, list[EmployerLink]] = {}
        for row in rows:
            starts_on, ends_on = as_date(row["starts_on"]), row["ends_on"]
            ends = as_date(ends_on) if ends_on is not None else None
            links.setdefault(str(row["volunteer"]), []).append(
                EmployerLink(
                    employer_id=str(row["employer"]),
                    name=row["employer_name"],
                    current=covers(starts_on, ends, today),
                    starts_on=starts_on,
                    ends_on=ends,
                )
            )
        for found in links.values():
            found.sort(key=lambda link: (not link.current, link.name))
        return links

    async def links_of(self, organisation_id: str, limit: int = 200) -> list[OrganisationLink]:
        """The volunteers linked to an organisation, the latest first (its page lists them)."""
        rows = await (
            Employment.select(
                Employment.id,
                Employment.volunteer,
                Employment.volunteer.display_name.as_alias("display_name"),
                Employment.starts_on,
                Employment.ends_on,
                Employment.reasons,
            )
            .where(Employment.employer == organisation_id)
            .order_by(Employment.starts_on, ascending=False)
            .order_by(Employment.id)
            .limit(limit)
        )
        return [
            OrganisationLink(
                id=str(row["id"]),
                volunteer_id=str(row["volunteer"]),
                display_name=row["display_name"],
                starts_on=as_date(row["starts_on"]),
                ends_on=as_date(row["ends_on"]) if row["ends_on"] is not None else None,
                reasons=list(json_value(row["reasons"]) or []),
            )
            for row in rows
        ]

    # Employment links ----------------------------------------------------------------------------

    async def create_employment(self, data: EmploymentCreate) -> EmploymentOut:
        errors = []
        async with write_transaction(Employment):
            volunteer = Volunteer.select(Volunteer.id).where(Volunteer.id == data.volunteer_id)
            if not isinstance(Volunteer._meta.db, SQLiteEngine):
                # Serialise links for one volunteer across processes (SQLite: BEGIN IMMEDIATE).
                volunteer = volunteer.lock_rows("NO KEY UPDATE")
            if not await volunteer:
                errors.append({"field": "volunteer_id", "message": "no volunteer has this id"})
            employer = (
                await Organisation.select(Organisation.kind)
                .where(Organisation.id == data.employer_id)
                .first()
            )
            errors += _link_problems(employer["kind"] if employer else None, data)
            if errors:
                raise InvalidInput(
                    "Invalid value for: " + ", ".join(e["field"] for e in errors), errors=errors
                )
            existing = await Employment.select(
                Employment.id, Employment.starts_on, Employment.ends_on
            ).where(
                (Employment.volunteer == data.volunteer_id)
                & (Employment.employer == data.employer_id)
            )
            for other in existing:
                if _overlaps(data.starts_on, data.ends_on, other["starts_on"], other["ends_on"]):
                    raise Conflict(
                        "This volunteer already has an employment with this employer in "
                        "these dates",
                        employment_id=str(other["id"]),
                    )
            row = Employment(
                volunteer=data.volunteer_id,
                employer=data.employer_id,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                reasons=recorded_reasons(data.reasons),
            )
            await row.save()
        log.info(
            "employment.created",
            employment_id=str(row.id),
            volunteer_id=str(data.volunteer_id),
            organisation_id=str(data.employer_id),
        )
        return await self._employment(row.id)

    async def end_employment(self, employment_id: str, ends_on: dt.date) -> EmploymentOut:
        key = parse_id(employment_id)
        if key is None:
            raise NotFound("No employment link has this id")
        async with write_transaction(Employment):
            query = Employment.select(
                Employment.id, Employment.starts_on, Employment.ends_on
            ).where(Employment.id == key)
            if not isinstance(Employment._meta.db, SQLiteEngine):
                query = query.lock_rows("NO KEY UPDATE")
            rows = await query
            if not rows:
                raise NotFound("No employment link has this id")
            row = rows[0]
            if row["ends_on"] is not None:
                raise Conflict(
                    f"This employment already ended on {row['ends_on'].isoformat()}",
                    ends_on=row["ends_on"].isoformat(),
                )
            if ends_on < row["starts_on"]:
                raise field_error(
                    "ends_on",
                    f"the job must not end before it starts ({row['starts_on'].isoformat()})",
                )
            await Employment.update({Employment.ends_on: ends_on}).where(Employment.id == key)
        log.info("employment.ended", employment_id=str(key))
        return await self._employment(key)

    async def _employment(self, key: uuid.UUID | str) -> EmploymentOut:
        row = await Employment.select().where(Employment.id == key).first()
        if row is None:
            raise NotFound("No employment link has this id")
        return employment_out(row)
