"""Pages for an employer's HR or line-manager contact: staff through the gate, notices.

Every read of a volunteer's data here goes through ``DisclosureGate`` (the service the employer
API uses), which checks the agreement, the consent and the employment, writes one ledger entry
per person shown, and only then returns the data. Nothing here queries volunteer tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import Markup

from portal.accounts.roles import Role
from portal.agreements.schemas import AgreementOut
from portal.agreements.services import AgreementService
from portal.auth.guards import caller, requires_role
from portal.auth.requests import AppRequest
from portal.clock import local_date, utcnow
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.notices import NoticeService
from portal.errors import Conflict, InvalidInput, NotFound
from portal.hours import leave
from portal.hours import reports as hour_reports
from portal.hours.schemas import EmployerReportOut
from portal.jsonedge import decoded
from portal.receipts import ReceiptOut
from portal.request_context import request_id
from portal.settings import Settings
from portal.vocabulary import Purpose, vocabulary
from portal.web import staffview
from portal.web.charts import month_label, organisation_hours_chart
from portal.web.forms import query_text
from portal.web.notice_pages import EMPLOYER_NOTICES, acknowledge, notices_page
from portal.web.pages import NavItem, register_navigation, render, see_other
from portal.web.webforms import Field, FormFields

register_navigation(
    Role.EMPLOYER,
    NavItem("/employer/staff", "Staff"),
    NavItem("/employer/leave", "Leave requests"),
    NavItem("/employer/reports", "Reports"),
    NavItem("/employer/notices", "Notices"),
)
LEAVE_STATUSES = ("pending", "approved", "declined", "withdrawn")

STAFF_PAGE = 25


@dataclass(frozen=True)
class StaffRow:
    """One line of the staff table: whose, the link's text, and each column in words."""

    volunteer_id: str
    name: str
    cells: list[str]


#: A leave decision's optional reason, shown to the volunteer.
DECISION_FORM = FormFields((Field("reason", 200),))


def _recipient(request: AppRequest) -> Recipient:
    identity = caller(request)
    return Recipient.of(identity, channel="web")


async def _in_force(agreements: AgreementService, organisation_id: str) -> AgreementOut | None:
    """The organisation's agreement in force, if it has one."""
    page = await agreements.list_current(1, 0, employer_id=organisation_id)
    return next((a for a in page.items if a.state == "in_force"), None)


async def _purposes(
    agreements: AgreementService, organisation_id: str
) -> list[tuple[Purpose, list[str]]]:
    """The purposes (and their categories) of the organisation's agreement in force."""
    return _purposes_of(await _in_force(agreements, organisation_id))


def _purposes_of(agreement: AgreementOut | None) -> list[tuple[Purpose, list[str]]]:
    if agreement is None:
        return []
    found = []
    for code, categories in sorted(agreement.purposes.items()):
        purpose = vocabulary().purpose(code)
        if purpose is not None:
            found.append((purpose, list(categories)))
    return found


class EmployerPages(Controller):
    path = "/employer"
    guards = [requires_role(Role.EMPLOYER)]
    include_in_schema = False

    @get("/", name="web.employer.home")
    async def home(
        self,
        request: AppRequest,
        agreements: NamedDependency[AgreementService],
        notices: NamedDependency[NoticeService],
    ) -> Template:
        recipient = _recipient(request)
        purposes = await _purposes(agreements, recipient.organisation_id)
        pending = await notices.list_for(recipient, pending_only=True, limit=1, offset=0)
        return await render(
            request, "employer/home.html", purposes=purposes, pending_notices=pending.total
        )

    @get("/staff", name="web.employer.staff")
    async def staff(
        self,
        request: AppRequest,
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
    ) -> Template:
        recipient = _recipient(request)
        purposes = await _purposes(agreements, recipient.organisation_id)
        code = query_text(request, "purpose", 80)
        chosen = next((p for p, _ in purposes if p.code == code), None)
        if chosen is None:
            return await render(
                request,
                "employer/choose_purpose.html",
                status=200 if not code else 400,
                purposes=purposes,
                unknown=bool(code),
            )
        after = query_text(request, "after", 64) or None
        # A table cannot hold duty records: the list asks for everything but hours.detail
        # (the staff member's own page carries it), so the ledger records only what is shown.
        page = await gate.disclose_staff(
            recipient,
            chosen.code,
            request_id=request_id(request),
            limit=STAFF_PAGE,
            after=after,
            categories=[c for c in chosen.categories if c != "hours.detail"],
        )
        columns = staffview.table_columns(page.items)
        rows = [
            StaffRow(
                volunteer_id=member.volunteer_id,
                name=str(member.data.get("display_name") or f"Staff member {number}"),
                cells=[staffview.cell(field, member.data) for field, _ in columns],
            )
            for number, member in enumerate(page.items, start=1)
        ]
        return await render(
            request,
            "employer/staff.html",
            purpose=chosen,
            rows=rows,
            columns=columns,
            next_cursor=page.next_cursor,
            first_page=after is None,
        )

    @get("/staff/{volunteer_id:str}", name="web.employer.staff_member")
    async def staff_member(
        self,
        request: AppRequest,
        volunteer_id: FromPath[str],
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
    ) -> Template:
        recipient = _recipient(request)
        code = query_text(request, "purpose", 80)
        purposes = await _purposes(agreements, recipient.organisation_id)
        chosen = next((p for p, _ in purposes if p.code == code), None)
        if chosen is None:
            return await render(
                request,
                "employer/choose_purpose.html",
                status=400 if code else 200,
                purposes=purposes,
                unknown=bool(code),
                volunteer_id=volunteer_id,
            )
        released = await gate.disclose_one(
            recipient,
            chosen.code,
            volunteer_id,
            request_id=request_id(request),
        )
        # Duty records arrive encoded (shared with later reads): decoded once for the template.
        data = decoded(released.data)
        return await render(
            request,
            "employer/staff_member.html",
            purpose=chosen,
            data=data,
            rows=staffview.member_rows(data, settings.monthly_minimum_hours),
            member_receipt=ReceiptOut.of(released.receipt),
        )

    @get("/notices", name="web.employer.notices")
    async def notices(
        self, request: AppRequest, notices: NamedDependency[NoticeService]
    ) -> Template:
        return await notices_page(request, notices, EMPLOYER_NOTICES)

    @post("/notices/{notice_id:str}/acknowledge", name="web.employer.acknowledge")
    async def acknowledge(
        self,
        request: AppRequest,
        notice_id: FromPath[str],
        notices: NamedDependency[NoticeService],
    ) -> Redirect:
        return await acknowledge(request, notices, notice_id, EMPLOYER_NOTICES)

    # ----------------------------------------------------------------------------- leave

    @get("/leave", name="web.employer.leave")
    async def leave_requests(
        self, request: AppRequest, gate: NamedDependency[DisclosureGate]
    ) -> Template:
        recipient = _recipient(request)
        status = query_text(request, "status", 20) or "pending"
        if status not in (*LEAVE_STATUSES, "all"):
            status = "pending"
        found = await leave.employer_requests(
            gate,
            recipient,
            None if status == "all" else status,
            request_id(request),
        )
        return await render(
            request,
            "employer/leave.html",
            found=found,
            wanted=status,
            statuses=LEAVE_STATUSES,
            decided=query_text(request, "decided", 10),
        )

    @post("/leave/{leave_request_id:str}/{decision:str}", name="web.employer.decide")
    async def decide(
        self,
        request: AppRequest,
        leave_request_id: FromPath[str],
        decision: FromPath[str],
        gate: NamedDependency[DisclosureGate],
    ) -> Redirect:
        if decision not in {"approve", "decline"}:
            raise NotFound("No such page")
        recipient = _recipient(request)
        reason = (await DECISION_FORM.read(request)).values["reason"]
        act = leave.approve_request if decision == "approve" else leave.decline_request
        try:
            await act(
                gate,
                recipient,
                leave_request_id,
                reason,
                request_id(request),
                request.app.state.settings,
            )
        except Conflict:
            return see_other("/employer/leave")
        done = "approved" if decision == "approve" else "declined"
        return see_other(f"/employer/leave?decided={done}")

    # ----------------------------------------------------------------------------- reports

    @get("/reports", name="web.employer.reports")
    async def reports(
        self,
        request: AppRequest,
        agreements: NamedDependency[AgreementService],
        gate: NamedDependency[DisclosureGate],
        settings: NamedDependency[Settings],
    ) -> Template:
        recipient = _recipient(request)
        agreement = await _in_force(agreements, recipient.organisation_id)
        agreed = _purposes_of(agreement)
        purposes = [(p, c) for p, c in agreed if "hours.summary" in c]
        today = local_date(utcnow())
        code = query_text(request, "purpose", 80) or (purposes[0][0].code if purposes else "")
        period = query_text(request, "period", 7) or str(today.year)
        chosen = next((p for p, _ in purposes if p.code == code), None)
        report: EmployerReportOut | None = None
        period_error = None
        if chosen is not None:
            try:
                report = await hour_reports.employer_report(
                    gate,
                    recipient,
                    settings,
                    chosen.code,
                    period,
                    request_id(request),
                    today=today,
                )
            except InvalidInput:
                period_error = "Enter a year like 2026, or a month like 2026-03"
        return await render(
            request,
            "employer/reports.html",
            status=400 if period_error else 200,
            agreement=agreement,
            agreed=agreed,
            purposes=purposes,
            chosen=chosen,
            period=period,
            years=[str(today.year - i) for i in range(3)],
            report=report,
            chart=_report_chart(report),
            period_error=period_error,
            month_label=month_label,
        )


def _report_chart(report: EmployerReportOut | None) -> Markup | None:
    if report is None:
        return None
    return organisation_hours_chart([m for m in report.organisation.months if not m.suppressed])
