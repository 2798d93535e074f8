"""The hours API's edge: request and response bodies (pydantic).

Hours are decimal numbers of hours rounded to the hundredth; times are ISO 8601 with their UTC
offset, shown in London time (``+00:00`` in winter, ``+01:00`` in summer).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from portal.apibody import StrictBody
from portal.receipts import ReceiptOut

UnitName = Literal["hours_per_month", "days_per_year"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------ duties


class DutyOut(_Out):
    id: str = Field(description="This version's id")
    duty_id: str = Field(description="The duty's id (the same for every version)")
    version: int
    volunteer_id: str
    starts_at: str
    ends_at: str
    hours: float
    duty_type: str
    esp_leave: bool
    is_cancelled: bool
    source: str
    external_ref: str
    reason: str = Field(description="Why this version corrects the previous one")
    supersedes: str | None
    current: bool
    recorded_at: str


class DutyPage(_Out):
    items: list[DutyOut]
    next_offset: int | None


class DutyHistory(_Out):
    duty_id: str
    versions: list[DutyOut] = Field(description="Oldest first; the last is current")


class CorrectionIn(StrictBody):
    starts_at: str | None = Field(default=None, description="New start (ISO 8601)")
    ends_at: str | None = Field(default=None, description="New end (ISO 8601)")
    duty_type: str | None = None
    esp_leave: bool | None = None
    cancel: bool = Field(default=False, description="The duty should never have been recorded")
    reason: str = Field(min_length=3, max_length=500, description="Why the record is corrected")


class ImportOut(_Out):
    status: Literal["imported", "already_imported"]
    batch_id: str
    lines: int
    added: int
    unchanged: int
    corrected: int
    imported_at: str | None


class IntegrationDuty(StrictBody):
    volunteer_id: str = Field(max_length=64)
    starts_at: str = Field(max_length=64, description="ISO 8601, e.g. 2026-03-14T09:00+00:00")
    ends_at: str = Field(max_length=64)
    duty_type: str = Field(max_length=40)
    esp_leave: bool
    external_ref: str = Field(default="", max_length=100)
    correction_reason: str = Field(default="", max_length=500)


class IntegrationBatchIn(StrictBody):
    duties: list[IntegrationDuty] = Field(min_length=1, max_length=5000)


# ------------------------------------------------------------------------------------ hours


class RollingOut(_Out):
    months: int
    hours: float
    target_hours: float
    met: bool
    short_by_hours: float


class MonthHoursOut(_Out):
    month: str
    hours: float
    esp_leave_hours: float
    own_time_hours: float
    training_hours: float
    duties: int
    by_type: dict[str, float]
    minimum_hours: float
    minimum_met: bool
    short_by_hours: float
    rolling_3_months: RollingOut


class HoursSummaryOut(_Out):
    period: str
    first_month: str
    last_month: str
    total_hours: float
    esp_leave_hours: float
    own_time_hours: float
    training_hours: float
    duties: int
    months_minimum_met: int
    months_counted: int
    months: list[MonthHoursOut]


# ------------------------------------------------------------------------------------ leave


class LeavePolicyIn(StrictBody):
    employer_id: str
    unit: UnitName
    amount: float = Field(gt=0, le=744, description="Hours per month, or days per year")
    paid: bool = True
    rollover_months: int = Field(default=0, ge=0, le=24)
    year_start_month: int = Field(default=1, ge=1, le=12)
    starts_on: dt.date
    agreement_id: str | None = Field(
        default=None, description="The data sharing agreement version this policy comes from"
    )


class LeavePolicyOut(_Out):
    id: str
    employer_id: str
    version: int
    unit: UnitName
    amount: float
    paid: bool
    rollover_months: int
    year_start_month: int
    starts_on: dt.date
    agreement_id: str | None
    recorded_at: str


class LeaveMonthOut(_Out):
    month: str
    carried_in: float
    granted: float
    used: float
    pending: float
    over_allowance: float
    available: float
    expiring: float


class LeavePeriodOut(_Out):
    period: str
    first_month: str
    last_month: str
    carried_in: float
    granted: float
    used: float
    pending: float
    over_allowance: float
    available: float


class LeaveBalanceOut(_Out):
    employer_id: str
    unit: Literal["hours", "days"]
    paid: bool
    policy: LeavePolicyOut
    current: LeavePeriodOut
    months: list[LeaveMonthOut]


class LeaveRequestIn(StrictBody):
    employer_id: str
    duty_id: str | None = Field(default=None, description="The duty the leave is for, if recorded")
    starts_at: str | None = Field(default=None, description="ISO 8601; default: the duty's")
    ends_at: str | None = None
    days: float | None = Field(
        default=None, description="For days-per-year policies: days of leave (0.5 steps)"
    )


class LeaveEventOut(_Out):
    event: str
    from_status: str
    to_status: str
    actor_role: str
    reason: str
    ledger_index: int | None
    occurred_at: str


class LeaveRequestOut(_Out):
    id: str
    volunteer_id: str
    employer_id: str
    duty_id: str | None
    starts_at: str
    ends_at: str
    unit: Literal["hours", "days"]
    amount: float
    paid: bool
    status: str
    created_at: str
    decided_at: str | None
    history: list[LeaveEventOut] = Field(default_factory=list)


class LeaveDecisionOut(_Out):
    """A decision taken; nothing about the volunteer (declining reads nothing through the gate)."""

    id: str
    status: str


class LeaveDecisionIn(StrictBody):
    reason: str = Field(default="", max_length=200, description="Optional short reason")


class ReleasedLeaveRequest(_Out):
    """A leave request as released to the employer through the gate (``hours.detail``)."""

    request: LeaveRequestOut
    display_name: str | None = None
    purpose: str
    categories: list[str]
    receipt: ReceiptOut


class LeaveRequestPage(_Out):
    items: list[ReleasedLeaveRequest]


# ------------------------------------------------------------------------------------ volunteer


class VolunteerHoursOut(_Out):
    volunteer_id: str
    minimum_hours_per_month: float
    summary: HoursSummaryOut


class VolunteerLeaveOut(_Out):
    balances: list[LeaveBalanceOut]
    requests: list[LeaveRequestOut]


# ------------------------------------------------------------------------------------ employer


class StaffHoursOut(_Out):
    volunteer_id: str
    purpose: str
    categories: list[str]
    display_name: str | None = None
    status: str | None = None
    hours_summary: HoursSummaryOut | None = None
    leave: LeavePeriodOut | None = None
    leave_unit: str | None = None
    duties: list[DutyOut] | None = None
    training_hours: float | None = None
    receipt: ReceiptOut


class StaffReportRow(_Out):
    volunteer_id: str
    categories: list[str]
    display_name: str | None = None
    status: str | None = None
    total_hours: float | None = None
    esp_leave_hours: float | None = None
    own_time_hours: float | None = None
    months_minimum_met: int | None = None
    months_counted: int | None = None
    minimum_met_every_month: bool | None = None
    leave_unit: str | None = None
    leave_granted: float | None = None
    leave_used: float | None = None
    leave_available: float | None = None
    training_hours: float | None = None
    ledger_index: int


class OrgMonthOut(_Out):
    month: str
    suppressed: bool
    suppressed_reason: str | None = None
    staff: int | None = None
    hours: float | None = None
    esp_leave_hours: float | None = None
    own_time_hours: float | None = None
    staff_meeting_minimum: int | None = None


class OrgFiguresOut(_Out):
    suppressed: bool
    suppressed_reason: str | None = None
    threshold: int
    staff: int | None = None
    total_hours: float | None = None
    esp_leave_hours: float | None = None
    own_time_hours: float | None = None
    average_hours_per_person: float | None = None
    leave_used_hours: float | None = None
    leave_used_days: float | None = None
    months: list[OrgMonthOut]


class EmployerReportOut(_Out):
    organisation_id: str
    period: str
    purpose: str
    generated_at: str
    minimum_hours_per_month: float
    staff: list[StaffReportRow]
    organisation: OrgFiguresOut
