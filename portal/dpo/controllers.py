"""``/api/dpo``: ledger search and export, subject reports, refusals, agreements ending soon."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from ledger import Ledger
from ledger.entries import KIND_MODELS
from portal.accounts.roles import Role
from portal.agreements.schemas import AgreementEnding
from portal.agreements.services import AgreementService
from portal.apisupport import MAX_INDEX, MAX_OFFSET
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.schemas import LedgerPage, RefusalPage
from portal.dpo.people import PersonSearchService
from portal.dpo.report_csv import report_csv
from portal.dpo.schemas import PersonSearch, PersonSearchResult, SubjectAccessReport
from portal.dpo.services import DpoService, LedgerFilter
from portal.moments import MOMENT_PATTERN, MomentError, parse_moment
from portal.organisations.services import OrganisationService
from portal.request_context import request_id

DPO = requires_role(Role.DPO)


def provide_dpo(gate: NamedDependency[DisclosureGate]) -> DpoService:
    return DpoService(gate)


def provide_people(gate: NamedDependency[DisclosureGate]) -> PersonSearchService:
    return PersonSearchService(gate, OrganisationService())


def _moment(name: str, value: str | None, *, end_of_day: bool) -> dt.datetime | None:
    """A ``since``/``until`` answer read as the CLI reads it (a plain date or RFC 3339); a bad
    one is the same 400 naming the parameter as any other bad query parameter."""
    if value is None:
        return None
    try:
        return parse_moment(value, end_of_day=end_of_day, assume_utc=True)
    except MomentError as exc:
        raise ValidationException(
            f"Invalid value for: {name}", extra=[{"key": name, "message": str(exc)}]
        ) from None


def _filters(
    since: str | None,
    until: str | None,
    subject: str | None,
    recipient: str | None,
    purpose: str | None,
    kind: str | None,
    recipient_kind: str | None = None,
) -> LedgerFilter:
    return LedgerFilter(
        _moment("since", since, end_of_day=False),
        _moment("until", until, end_of_day=True),
        subject,
        recipient,
        purpose,
        kind,
        recipient_kind,
    )


#: Ledger filter query parameters; each handler gives the default (``since: Since = None``).
Since = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=MOMENT_PATTERN,
        description="logged at or after: a date (YYYY-MM-DD, from its start) or an RFC 3339 "
        "time (UTC if no offset)",
    ),
]
Until = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        pattern=MOMENT_PATTERN,
        description="logged before: a date (YYYY-MM-DD, up to and including that day) or an "
        "RFC 3339 time (UTC if no offset)",
    ),
]
Subject = Annotated[
    str | None,
    QueryParameter(
        max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="pseudonymous subject id"
    ),
]
RecipientId = Annotated[
    str | None,
    QueryParameter(
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="recipient organisation or user id",
    ),
]
Purpose = Annotated[
    str | None,
    QueryParameter(max_length=80, pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$"),
]
Kind = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        # Only kinds the ledger has a model for: a typo is a 400 naming the field, not an
        # empty page that looks like "no such entries".
        pattern="^(" + "|".join(re.escape(kind) for kind in sorted(KIND_MODELS)) + ")$",
        description="entry kind: " + ", ".join(sorted(KIND_MODELS)),
    ),
]


RecipientKind = Annotated[
    str | None,
    QueryParameter(
        max_length=20,
        pattern=r"^(employer|police_force|partner|provider|force)$",
        description="kind of recipient: employer, police_force (another force), partner "
        "(processes applications), provider (carries messages) or force (the force itself)",
    ),
]


def _chunks(lines: Iterator[str], size: int = 500) -> Iterator[str]:
    """CSV lines sent a few hundred at a time (a large report is not one string in memory)."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


class DpoController(Controller):
    path = "/api/dpo"
    tags = ["dpo"]
    dependencies = {
        "dpo": Provide(provide_dpo, sync_to_thread=False),
        "people": Provide(provide_people, sync_to_thread=False),
    }

    @post(
        "/volunteers/search",
        guards=[DPO],
        status_code=200,
        summary=(
            "Find a person by name (typos and accents forgiven), email address, volunteer id or "
            "subject id; each person shown is ledgered under dpo.audit first"
        ),
        description=(
            "The query is sent in the body, never in the URL (it is often a name). Results are "
            "ranked best first; each carries the ledger index of the dpo.audit entry recording "
            "that it was shown, and a link to the person's subject access report."
        ),
    )
    async def find_person(
        self,
        request: AppRequest,
        data: JSONBody[PersonSearch],
        people: NamedDependency[PersonSearchService],
    ) -> PersonSearchResult:
        return await people.search(
            Recipient.of(caller(request)),
            data.q,
            limit=data.limit,
            request_id=request_id(request),
        )

    @get("/ledger", guards=[DPO], summary="Search the ledger, newest first")
    async def search(
        self,
        dpo: NamedDependency[DpoService],
        since: Since = None,
        until: Until = None,
        subject: Subject = None,
        recipient: RecipientId = None,
        purpose: Purpose = None,
        kind: Kind = None,
        recipient_kind: RecipientKind = None,
        before: Annotated[
            int | None, QueryParameter(ge=0, le=MAX_INDEX, description="next_cursor of a page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> LedgerPage:
        return await dpo.search(
            _filters(since, until, subject, recipient, purpose, kind, recipient_kind),
            before=before,
            limit=limit,
        )

    @get(
        "/ledger/export",
        guards=[DPO],
        summary="Stream matching entries, oldest first, as CSV or JSON Lines",
        media_type="text/csv",
    )
    async def export(
        self,
        dpo: NamedDependency[DpoService],
        format: FromQuery[Literal["csv", "jsonl"]] = "csv",
        since: Since = None,
        until: Until = None,
        subject: Subject = None,
        recipient: RecipientId = None,
        purpose: Purpose = None,
        kind: Kind = None,
        recipient_kind: RecipientKind = None,
    ) -> Stream:
        filters = _filters(since, until, subject, recipient, purpose, kind, recipient_kind)
        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        return Stream(
            dpo.export(filters, format),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="ledger.{format}"'},
        )

    @get(
        "/subjects/{volunteer_id:str}/report",
        guards=[DPO],
        summary=(
            "UK GDPR Art. 15 report for one person, by volunteer id or subject id (sub_…): every "
            "category of data held with a copy, its purposes and lawful bases, retention and "
            "source; every recipient and disclosure with a receipt; refusals. Ledgered under "
            "dpo.audit before it is built"
        ),
        responses={
            200: ResponseSpec(
                data_container=SubjectAccessReport,
                description="The report",
                media_type="application/json",
            )
        },
    )
    async def subject_report(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        dpo: NamedDependency[DpoService],
        recipient_kind: RecipientKind = None,
    ) -> Response[bytes]:
        identity = caller(request)
        report = await dpo.subject_report(
            Recipient.of(identity),
            volunteer_id,
            request_id=request_id(request),
            recipient_kind=recipient_kind,
        )
        return Response(report.model_dump_json().encode(), media_type="application/json")

    @get(
        "/subjects/{volunteer_id:str}/report.csv",
        guards=[DPO],
        summary=(
            "The same Art. 15 report as CSV: one header, a 'section' column saying what each "
            "row is (ledgered under dpo.audit)"
        ),
        media_type="text/csv",
    )
    async def subject_report_csv(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        dpo: NamedDependency[DpoService],
        recipient_kind: RecipientKind = None,
    ) -> Stream:
        identity = caller(request)
        report = await dpo.subject_report(
            Recipient.of(identity),
            volunteer_id,
            request_id=request_id(request),
            recipient_kind=recipient_kind,
        )
        return Stream(
            _chunks(report_csv(report)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="subject-report.csv"'},
        )

    @get("/refusals", guards=[DPO], summary="Refused access attempts, newest first")
    async def refusals(
        self,
        dpo: NamedDependency[DpoService],
        since: Since = None,
        until: Until = None,
        reason: Annotated[str | None, QueryParameter(max_length=40, pattern=r"^[a-z_]+$")] = None,
        recipient: RecipientId = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> RefusalPage:
        return await dpo.refusals(
            since=_moment("since", since, end_of_day=False),
            until=_moment("until", until, end_of_day=True),
            reason=reason,
            recipient=recipient,
            limit=limit,
            offset=offset,
        )

    @get(
        "/agreements/ending",
        guards=[DPO],
        summary="Agreements in force that end within the given number of days",
    )
    async def agreements_ending(
        self,
        ledger: NamedDependency[Ledger],
        within_days: Annotated[int, QueryParameter(ge=0, le=366)] = 30,
    ) -> list[AgreementEnding]:
        return await AgreementService(ledger).ending_within(within_days)


CONTROLLERS = [DpoController]
