"""Service hours and ESP leave over HTTP: coordinator, integration, volunteer and employer.

Thin controllers: the rules are in the hours services; a guard is declared on every route.
Employers read hours data only through the disclosure gate (the ``gate`` dependency); a
volunteer's own data needs no gate. Ids in paths are UUID strings; malformed ones are answered
like unknown ones (404).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from portal.accounts.roles import Role
from portal.apisupport import MAX_UPLOAD_BYTES, CsvFileUpload
from portal.auth.guards import caller, requires_role, requires_scope
from portal.auth.identity import Identity
from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.errors import Forbidden, InvalidInput
from portal.hours import duties, leave, reports
from portal.hours.gateway import permits
from portal.hours.imports import import_csv
from portal.hours.integration import push_batch
from portal.hours.periods import Month, TimeParseError, parse_period
from portal.hours.schemas import (
    CorrectionIn,
    DutyHistory,
    DutyOut,
    DutyPage,
    EmployerReportOut,
    ImportOut,
    IntegrationBatchIn,
    LeaveDecisionIn,
    LeaveDecisionOut,
    LeavePolicyIn,
    LeavePolicyOut,
    LeaveRequestIn,
    LeaveRequestOut,
    LeaveRequestPage,
    ReleasedLeaveRequest,
    StaffHoursOut,
    VolunteerHoursOut,
    VolunteerLeaveOut,
)
from portal.ids import parse_id
from portal.receipts import ReceiptOut
from portal.request_context import request_id
from portal.settings import Settings

COORDINATOR = requires_role(Role.COORDINATOR)
VOLUNTEER = requires_role(Role.VOLUNTEER)
EMPLOYER = requires_role(Role.EMPLOYER)
DUTIES_WRITE = requires_scope("duties:write")

#: Far beyond any list held, well inside a database integer (a larger one overflowed: a 500).
MAX_OFFSET = 1_000_000_000


#: Query parameter types; handlers give the defaults (``period: Period = None``, i.e. this year).
Period = Annotated[
    str | None,
    QueryParameter(
        max_length=7,
        description="YYYY (a calendar year) or YYYY-MM (a month); default: this year",
    ),
]
#: Handlers default it to ``reports.DEFAULT_PURPOSE``.
Purpose = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=80,
        description="why you need the data: a purpose your agreement names for hours",
    ),
]
History = Annotated[bool, QueryParameter(description="include superseded versions")]


def _london_today() -> dt.date:
    return local_date(utcnow())


def _period(value: str | None) -> tuple[str, Month, Month]:
    text = value or str(_london_today().year)
    try:
        first, last = parse_period(text)
    except TimeParseError as exc:
        raise InvalidInput(
            "period: " + str(exc), errors=[{"field": "period", "message": str(exc)}]
        ) from None
    return text, first, last


def _user(request: AppRequest) -> Identity:
    identity = caller(request)
    return identity


def _volunteer(request: AppRequest) -> str:
    identity = _user(request)
    if not identity.volunteer_id:
        raise Forbidden("This account is not linked to a volunteer record")
    return identity.volunteer_id


# ------------------------------------------------------------------------------ coordinator


class CoordinatorDutiesController(Controller):
    path = "/api/coordinator/duties"
    tags = ["hours: coordinator"]

    @post(
        "/import",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Import duty records from a CSV file, all or nothing",
        description=(
            "multipart/form-data with the file in field 'file'. Columns: volunteer_id, start, "
            "end, duty_type, esp_leave (and optionally external_ref, correction_reason). Every "
            "line is checked; if any is bad, nothing is imported and the 422 problem lists "
            "every bad line (line, field, message). The same file again adds nothing (200)."
        ),
        responses={200: ResponseSpec(ImportOut, description="The same file again: nothing added")},
    )
    async def import_duties(
        self,
        request: AppRequest,
        data: Annotated[CsvFileUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[ImportOut]:
        upload = data.file
        result = await import_csv(
            upload.file, created_by=_user(request).user_id, filename=upload.filename or ""
        )
        body = ImportOut.model_validate(result.as_dict())
        status = HTTP_201_CREATED if result.status == "imported" else HTTP_200_OK
        return Response(body, status_code=status)

    @get("/", guards=[COORDINATOR], summary="Duty records (current versions by default)")
    async def list_duties(
        self,
        volunteer_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        period: Period = None,
        history: History = False,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> DutyPage:
        _text, first, last = _period(period)
        volunteer = None
        if volunteer_id is not None:
            volunteer = parse_id(volunteer_id)
            if volunteer is None:
                return DutyPage(items=[], next_offset=None)
        items, next_offset = await duties.list_duties(
            volunteer, first, last, include_history=history, limit=limit, offset=offset
        )
        return DutyPage(items=items, next_offset=next_offset)

    @get("/{duty_id:str}", guards=[COORDINATOR], summary="Every version of one duty")
    async def duty_versions(self, duty_id: FromPath[str]) -> DutyHistory:
        versions = await duties.duty_history(duty_id)
        return DutyHistory(duty_id=versions[0].duty_id, versions=versions)

    @post(
        "/{duty_id:str}/corrections",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Correct a duty: a new version superseding the current one, with a reason",
    )
    async def correct(
        self, request: AppRequest, duty_id: FromPath[str], data: JSONBody[CorrectionIn]
    ) -> DutyOut:
        return await duties.correct_duty(duty_id, data, _user(request).user_id)


class CoordinatorLeavePolicyController(Controller):
    path = "/api/coordinator/leave-policies"
    tags = ["hours: coordinator"]

    @post(
        "/",
        guards=[COORDINATOR],
        status_code=HTTP_201_CREATED,
        summary="Record a new version of an employer's ESP leave policy",
    )
    async def record(self, request: AppRequest, data: JSONBody[LeavePolicyIn]) -> LeavePolicyOut:
        return await leave.record_policy(data, _user(request).user_id)

    @get("/{employer_id:str}", guards=[COORDINATOR], summary="An employer's policy versions")
    async def versions(self, employer_id: FromPath[str]) -> list[LeavePolicyOut]:
        return await leave.policies_of(employer_id)


# ------------------------------------------------------------------------------ integration


class IntegrationDutiesController(Controller):
    path = "/api/integrations/duties"
    tags = ["hours: integration"]

    @post(
        "/",
        guards=[DUTIES_WRITE],
        status_code=HTTP_201_CREATED,
        summary="Push a batch of duty records (all or nothing); Idempotency-Key honoured",
        description=(
            "Bearer token with the duties:write scope. Send an Idempotency-Key header: a retry "
            "with the same key and body returns the first answer (200, replayed: true) and "
            "writes nothing again; the same key with another body is refused (409)."
        ),
        responses={
            200: ResponseSpec(dict[str, Any], description="A retry: the first answer, replayed")
        },
    )
    async def push(
        self,
        request: AppRequest,
        data: JSONBody[IntegrationBatchIn],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                max_length=200,
                description="names this batch: a retry with the same key is applied once",
            ),
        ] = None,
    ) -> Response[dict[str, Any]]:
        identity = _user(request)
        answer = await push_batch(data, idempotency_key, identity.token_id or identity.user_id)
        status = HTTP_200_OK if answer.get("replayed") else HTTP_201_CREATED
        return Response(answer, status_code=status)


# ------------------------------------------------------------------------------ volunteer


class VolunteerHoursController(Controller):
    path = "/api/volunteer"
    tags = ["hours: volunteer"]

    @get("/hours", guards=[VOLUNTEER], summary="Your hours per month and the monthly minimum")
    async def my_hours(
        self,
        request: AppRequest,
        settings: NamedDependency[Settings],
        period: Period = None,
    ) -> VolunteerHoursOut:
        volunteer = _volunteer(request)
        text, first, last = _period(period)
        spans = await duties.spans_for([volunteer], first.plus(-2), last)
        summary = duties.summarise(
            spans[volunteer], first, last, settings.monthly_minimum_hours, text
        )
        return VolunteerHoursOut(
            volunteer_id=volunteer,
            minimum_hours_per_month=settings.monthly_minimum_hours,
            summary=summary,
        )

    @get("/duties", guards=[VOLUNTEER], summary="Your duty records")
    async def my_duties(
        self,
        request: AppRequest,
        period: Period = None,
        history: History = False,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)] = 0,
    ) -> DutyPage:
        _text, first, last = _period(period)
        items, next_offset = await duties.list_duties(
            _volunteer(request), first, last, include_history=history, limit=limit, offset=offset
        )
        return DutyPage(items=items, next_offset=next_offset)

    @get("/duties/{duty_id:str}", guards=[VOLUNTEER], summary="Every version of one of your duties")
    async def my_duty(self, request: AppRequest, duty_id: FromPath[str]) -> DutyHistory:
        versions = await duties.duty_history(duty_id, _volunteer(request))
        return DutyHistory(duty_id=versions[0].duty_id, versions=versions)

    @get("/leave", guards=[VOLUNTEER], summary="Your ESP leave balance per employer and requests")
    async def my_leave(self, request: AppRequest) -> VolunteerLeaveOut:
        volunteer = _volunteer(request)
        return VolunteerLeaveOut(
            balances=await leave.volunteer_balances(volunteer, _london_today()),
            requests=await leave.volunteer_requests(volunteer),
        )

    @post(
        "/leave-requests",
        guards=[VOLUNTEER],
        status_code=HTTP_201_CREATED,
        summary="Ask an employer for ESP leave for a duty",
    )
    async def request_leave(
        self, request: AppRequest, data: JSONBody[LeaveRequestIn]
    ) -> LeaveRequestOut:
        return await leave.create_request(
            _volunteer(request),
            data,
            _user(request).user_id,
            _london_today(),
            request.app.state.settings,
        )

    @post(
        "/leave-requests/{request_id:str}/withdraw",
        guards=[VOLUNTEER],
        status_code=HTTP_200_OK,
        summary="Withdraw a pending leave request",
    )
    async def withdraw(self, request: AppRequest, request_id: FromPath[str]) -> LeaveRequestOut:
        return await leave.withdraw_request(_volunteer(request), request_id, _user(request).user_id)


# ------------------------------------------------------------------------------ employer


class EmployerLeaveController(Controller):
    path = "/api/employer"
    tags = ["hours: employer"]

    @get("/leave-policy", guards=[EMPLOYER], summary="Your organisation's ESP leave policy")
    async def policy(self, request: AppRequest) -> list[LeavePolicyOut]:
        return await leave.policies_of(Recipient.of(_user(request)).organisation_id)

    @get(
        "/leave-requests",
        guards=[EMPLOYER],
        summary="Leave requests to your organisation (through the gate, esp.leave-verification)",
    )
    async def requests(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        status: Annotated[
            str | None,
            QueryParameter(description="pending, approved, declined, withdrawn, or all"),
        ] = "pending",
    ) -> LeaveRequestPage:
        wanted = None if status in (None, "all") else status
        if wanted not in (None, "pending", "approved", "declined", "withdrawn"):
            raise InvalidInput(
                "status: unknown", errors=[{"field": "status", "message": "not a status"}]
            )
        found = await leave.employer_requests(
            gate, Recipient.of(_user(request)), wanted, request_id(request)
        )
        return LeaveRequestPage(
            items=[
                ReleasedLeaveRequest(
                    request=item,
                    display_name=released.data.get("display_name")
                    if permits(released, "identity")
                    else None,
                    purpose=released.purpose,
                    categories=list(released.categories),
                    receipt=ReceiptOut.of(released.receipt),
                )
                for item, released in found
            ]
        )

    @post(
        "/leave-requests/{leave_request_id:str}/approve",
        guards=[EMPLOYER],
        status_code=HTTP_200_OK,
        summary="Approve a leave request (reads it through the gate first)",
    )
    async def approve(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        leave_request_id: FromPath[str],
        data: JSONBody[LeaveDecisionIn | None] = None,
    ) -> ReleasedLeaveRequest:
        item, released = await leave.approve_request(
            gate,
            Recipient.of(_user(request)),
            leave_request_id,
            data.reason if data else "",
            request_id(request),
            request.app.state.settings,
        )
        return ReleasedLeaveRequest(
            request=item,
            purpose=released.purpose,
            categories=list(released.categories),
            receipt=ReceiptOut.of(released.receipt),
        )

    @post(
        "/leave-requests/{leave_request_id:str}/decline",
        guards=[EMPLOYER],
        status_code=HTTP_200_OK,
        summary="Decline a leave request",
    )
    async def decline(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        leave_request_id: FromPath[str],
        data: JSONBody[LeaveDecisionIn | None] = None,
    ) -> LeaveDecisionOut:
        return await leave.decline_request(
            gate,
            Recipient.of(_user(request)),
            leave_request_id,
            data.reason if data else "",
            request_id(request),
            request.app.state.settings,
        )


class EmployerHoursController(Controller):
    path = "/api/employer/hours"
    tags = ["hours: employer"]

    @get(
        "/staff/{volunteer_id:str}",
        guards=[EMPLOYER],
        summary="One staff member's hours, minimum and leave (through the gate)",
    )
    async def staff_hours(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
        volunteer_id: FromPath[str],
        purpose: Purpose = reports.DEFAULT_PURPOSE,
        period: Period = None,
        detail: Annotated[
            bool, QueryParameter(description="also each duty (hours.detail)")
        ] = False,
    ) -> StaffHoursOut:
        return await reports.staff_hours(
            gate,
            Recipient.of(_user(request)),
            settings,
            purpose,
            volunteer_id,
            _period(period),
            detail,
            request_id(request),
            _london_today(),
        )

    @get(
        "/report",
        guards=[EMPLOYER],
        summary="Hours report: each consenting staff member, and organisation figures",
        description=reports.__doc__,
    )
    async def report(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
        purpose: Purpose = reports.DEFAULT_PURPOSE,
        period: Period = None,
    ) -> EmployerReportOut:
        text, _first, _last = _period(period)
        return await reports.employer_report(
            gate,
            Recipient.of(_user(request)),
            settings,
            purpose,
            text,
            request_id(request),
            today=_london_today(),
        )

    @get(
        "/report.csv",
        guards=[EMPLOYER],
        summary="The hours report as CSV (each row about a person is a disclosure)",
        media_type="text/csv",
    )
    async def report_csv(
        self,
        request: AppRequest,
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
        purpose: Purpose = reports.DEFAULT_PURPOSE,
        period: Period = None,
    ) -> Stream:
        text, _first, _last = _period(period)
        report = await reports.employer_report(
            gate,
            Recipient.of(_user(request), channel="export"),
            settings,
            purpose,
            text,
            request_id(request),
            today=_london_today(),
        )

        async def body() -> AsyncIterator[str]:
            for chunk in reports.report_csv(report):
                yield chunk

        return Stream(
            body(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="hours-{text}.csv"',
                "Cache-Control": "no-store",
            },
        )


CONTROLLERS = [
    CoordinatorDutiesController,
    CoordinatorLeavePolicyController,
    IntegrationDutiesController,
    VolunteerHoursController,
    EmployerLeaveController,
    EmployerHoursController,
]
