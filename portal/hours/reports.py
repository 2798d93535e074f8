"""Employer reports: per consenting staff member, and for the whole organisation.

Per staff member
    Each row is one disclosure through the gate (``portal.hours.gateway``) for the purpose the
    employer states; it carries only the categories released for that person (``identity``,
    ``status``, ``hours.summary``, ``training``). A CSV export is the same, on channel ``export``.
    Hours count only duties that started while the person worked for the employer.

For the organisation (statistical disclosure control)
    Organisation figures are computed only from people whose ``hours.summary`` the gate released
    in the same request: no figure ever uses data of someone who has not consented. The threshold
    *k* is ``ESP_SUPPRESSION_THRESHOLD`` (default 5). Four rules keep a figure from revealing any
    one person, including by subtracting two answers:

    1. *Fixed shapes.* Figures exist only for whole London calendar months and years of the whole
       organisation; an employer cannot choose a sub-group, a date range or a person.
    2. *Threshold.* A month's figures are drawn from the people employed in that month (zero hours
       count as data); if they are fewer than *k*, the month is suppressed.
    3. *Complementary suppression.* A year's totals are the sum of its months, so they are shown
       only when every month of the year is shown (otherwise year minus the other months would
       give a suppressed month).
    4. *Release memory against difference attacks.* Every released figure's cohort (the set of
       volunteers it was drawn from) is remembered per organisation and period
       (``hours_report_release``, append-only). A later figure for the same period whose cohort
       differs from any earlier released one by at least 1 and fewer than *k* volunteers is
       suppressed: two answers differing by one person (someone consented, withdrew, joined or
       left in between) never both get out. Yearly reports register and check every month they
       show, so a monthly query and a yearly one are compared too. Checking and recording happen
       under one lock, so two concurrent requests cannot both slip through.

    Figures are not rounded or perturbed: with the rules above, rounding would only blur the
    numbers without adding protection, and noise would make reports irreproducible.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from portal.clock import utcnow
from portal.csvcells import safe_row
from portal.dbutil import json_value
from portal.disclosure.gate import DisclosureGate, Recipient, Released
from portal.disclosure.sources import FieldProvider
from portal.errors import InvalidInput
from portal.hours.aggregate import DutySpan, MonthTotals, hours, minutes_of, monthly_totals
from portal.hours.allowance import Balance, from_units
from portal.hours.duties import clip_to_employment, list_duties, spans_for, summarise
from portal.hours.gateway import permits
from portal.hours.leave import balances, employment_of, period_out
from portal.hours.periods import Month, TimeParseError, london_iso, months_between, parse_period
from portal.hours.rawdb import RELEASE_WRITE_LOCK, duty_write_transaction
from portal.hours.schemas import (
    DutyOut,
    EmployerReportOut,
    OrgFiguresOut,
    OrgMonthOut,
    StaffHoursOut,
    StaffReportRow,
)
from portal.hours.tables import HoursReportRelease
from portal.organisations.rules import covers
from portal.receipts import ReceiptOut
from portal.settings import Settings

log = structlog.get_logger(__name__)

REPORT_CATEGORIES = ("identity", "status", "hours.summary", "training")
DEFAULT_PURPOSE = "esp.leave-verification"


def parse_report_period(text: str, today: dt.date) -> tuple[Month, Month]:
    try:
        first, last = parse_period(text)
    except TimeParseError as exc:
        raise InvalidInput(
            "period: " + str(exc), errors=[{"field": "period", "message": str(exc)}]
        ) from None
    current = Month.of_date(today)
    if first > current:
        raise InvalidInput(
            "period: is in the future",
            errors=[{"field": "period", "message": "choose this month or an earlier period"}],
        )
    return first, min(last, current)  # this year: the months so far


@dataclass
class _Person:
    volunteer_id: str
    categories: tuple[str, ...]
    spans: list[DutySpan] = field(default_factory=list)
    employment: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)
    balance: Balance | None = None
    #: Minutes per month of the period (computed once, used by the row and the figures).
    totals: list[MonthTotals] = field(default_factory=list)


class _ReportFields:
    """The report's field provider: the gate calls it with the subjects it is about to release
    (and their categories); it computes what those categories release, and keeps what the
    organisation figures need."""

    def __init__(
        self, organisation_id: str, first: Month, last: Month, today: dt.date, minimum: int
    ) -> None:
        self.organisation_id = organisation_id
        self.first, self.last, self.today, self.minimum = first, last, today, minimum
        self.people: dict[str, _Person] = {}

    async def __call__(
        self, subjects: Sequence[tuple[str, tuple[str, ...]]]
    ) -> dict[str, dict[str, Any]]:
        first, last = self.first, self.last
        wanted = [v for v, cats in subjects if "hours.summary" in cats or "training" in cats]
        employment = await employment_of(wanted, self.organisation_id)
        spans = await spans_for(wanted, first, last)
        found, _policy = await balances(
            wanted, self.organisation_id, self.today, until=last, keep_from=first, stop_at=last
        )
        provided: dict[str, dict[str, Any]] = {}
        for volunteer, categories in subjects:
            person = _Person(volunteer, tuple(categories))
            self.people[volunteer] = person
            fields: dict[str, Any] = {}
            if volunteer in employment:
                person.employment = employment[volunteer]
                person.spans = clip_to_employment(spans.get(volunteer, []), person.employment)
                person.balance = found.get(volunteer)
                person.totals = monthly_totals(person.spans, first, last)
            if "hours.summary" in categories:
                fields["hours_summary"] = _summary_fields(person, first, last, self.minimum)
            if "training" in categories:
                minutes = sum(t.training_minutes for t in person.totals)
                fields["training"] = {"training_hours": float(hours(minutes))}
            provided[volunteer] = fields
        return provided


def report_fields(
    organisation_id: str, first: Month, last: Month, today: dt.date, minimum_minutes: int
) -> FieldProvider:
    """The report's provider (``hours.summary`` and ``training`` for ``first..last``), for
    other views that release the same categories."""
    return _ReportFields(organisation_id, first, last, today, minimum_minutes)


def _summary_fields(person: _Person, first: Month, last: Month, minimum: int) -> dict[str, Any]:
    """What ``hours.summary`` releases in a report: totals, minimum and leave for the period."""
    totals = person.totals
    met = sum(1 for t in totals if t.minutes >= minimum)
    out: dict[str, Any] = {
        "total_hours": float(hours(sum(t.minutes for t in totals))),
        "esp_leave_hours": float(hours(sum(t.esp_leave_minutes for t in totals))),
        "own_time_hours": float(hours(sum(t.own_time_minutes for t in totals))),
        "months_minimum_met": met,
        "months_counted": len(totals),
        "minimum_met_every_month": met == len(totals),
    }
    if person.balance is not None:
        leave = period_out(person.balance, first, last, "")
        out["leave_unit"] = "hours" if person.balance.unit == "hours_per_month" else "days"
        out["leave_granted"] = leave.granted
        out["leave_used"] = leave.used
        out["leave_available"] = leave.available
    return out


def _employed_in(employment: Sequence[tuple[dt.date, dt.date | None]], month: Month) -> bool:
    return any(s <= month.last_day and (e is None or e >= month.first_day) for s, e in employment)


def cohort_hash(cohort: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(cohort)).encode()).hexdigest()


async def check_and_record_releases(
    organisation_id: str, cohorts: dict[str, frozenset[str]], threshold: int
) -> dict[str, str | None]:
    """For each period key: None when its figure may be released (and it is then recorded),
    else the reason it is suppressed. Rules 2 and 4 of the module docstring."""
    verdicts: dict[str, str | None] = {}
    async with duty_write_transaction(HoursReportRelease, lock=RELEASE_WRITE_LOCK):
        earlier = await HoursReportRelease.select(
            HoursReportRelease.period, HoursReportRelease.cohort, HoursReportRelease.cohort_hash
        ).where(
            (HoursReportRelease.organisation == organisation_id)
            & HoursReportRelease.period.is_in(list(cohorts))
        )
        previous: dict[str, list[tuple[str, frozenset[str]]]] = {}
        for row in earlier:
            members = json_value(row["cohort"])
            previous.setdefault(row["period"], []).append(
                (row["cohort_hash"], frozenset(str(m) for m in members))
            )
        new_rows = []
        for period, cohort in cohorts.items():
            if len(cohort) < threshold:
                verdicts[period] = f"drawn from fewer than {threshold} volunteers"
                continue
            clash = any(0 < len(cohort ^ old) < threshold for _, old in previous.get(period, []))
            if clash:
                verdicts[period] = (
                    f"the people it would be drawn from differ from an earlier answer for this "
                    f"period by fewer than {threshold}, which could reveal individuals"
                )
                continue
            verdicts[period] = None
            digest = cohort_hash(list(cohort))
            if all(h != digest for h, _ in previous.get(period, [])):
                new_rows.append(
                    HoursReportRelease(
                        organisation=organisation_id,
                        period=period,
                        cohort_hash=digest,
                        cohort_size=len(cohort),
                        cohort=sorted(cohort),
                        released_at=utcnow(),
                    )
                )
        if new_rows:
            await HoursReportRelease.insert(*new_rows)
    return verdicts


async def employer_report(
    gate: DisclosureGate,
    recipient: Recipient,
    settings: Settings,
    purpose: str,
    period: str,
    request_id: str,
    today: dt.date | None = None,
) -> EmployerReportOut:
    today = today or utcnow().date()
    first, last = parse_report_period(period, today)
    org = recipient.organisation_id
    fields = _ReportFields(org, first, last, today, minutes_of(settings.monthly_minimum_hours))
    released = await gate.disclose_all_staff(
        recipient, purpose, request_id=request_id, categories=REPORT_CATEGORIES, provider=fields
    )
    rows = [_row(r) for r in released]
    organisation = await _organisation(
        org,
        [fields.people[r.volunteer_id] for r in released if permits(r, "hours.summary")],
        first,
        last,
        settings,
    )
    log.info(
        "hours.report.built",
        organisation_id=org,
        purpose=purpose,
        staff=len(rows),
        suppressed=organisation.suppressed,
    )
    return EmployerReportOut(
        organisation_id=org,
        period=period,
        purpose=purpose,
        generated_at=london_iso(utcnow()),
        minimum_hours_per_month=settings.monthly_minimum_hours,
        staff=rows,
        organisation=organisation,
    )


def _row(released: Released) -> StaffReportRow:
    """One person's row: exactly what the gate released for them."""
    data = released.data
    summary = data.get("hours_summary") if permits(released, "hours.summary") else None
    training = data.get("training") if permits(released, "training") else None
    return StaffReportRow(
        volunteer_id=released.volunteer_id,
        categories=list(released.categories),
        display_name=data.get("display_name") if permits(released, "identity") else None,
        status=data.get("status") if permits(released, "status") else None,
        training_hours=training["training_hours"] if training else None,
        ledger_index=released.receipt.index,
        **(summary or {}),
    )


async def staff_hours(
    gate: DisclosureGate,
    recipient: Recipient,
    settings: Settings,
    purpose: str,
    volunteer_id: str,
    period: tuple[str, Month, Month],
    detail: bool,
    request_id: str,
    today: dt.date,
) -> StaffHoursOut:
    """One staff member's hours, minimum and leave for a period, through the gate."""
    text, first, last = period
    org = recipient.organisation_id

    async def provide(
        subjects: Sequence[tuple[str, tuple[str, ...]]],
    ) -> dict[str, dict[str, Any]]:
        ((volunteer, categories),) = subjects
        fields: dict[str, Any] = {}
        employment = (await employment_of([volunteer], org))[volunteer]
        if "hours.summary" in categories or "training" in categories:
            loaded = await spans_for([volunteer], first.plus(-2), last)
            spans = clip_to_employment(loaded[volunteer], employment)
            summary = summarise(spans, first, last, settings.monthly_minimum_hours, text)
            if "hours.summary" in categories:
                found, _row = await balances([volunteer], org, today, until=last)
                leave = found.get(volunteer)
                fields["hours_summary"] = {
                    "summary": summary.model_dump(mode="json"),
                    "leave": period_out(leave, first, last, text).model_dump(mode="json")
                    if leave is not None
                    else None,
                    "leave_unit": ("hours" if leave.unit == "hours_per_month" else "days")
                    if leave is not None
                    else None,
                }
            if "training" in categories:
                fields["training"] = {"training_hours": summary.training_hours}
        if "hours.detail" in categories:
            items, _next = await list_duties(volunteer, first, last, limit=1000)
            fields["hours_detail"] = {
                "duties": [
                    d.model_dump(mode="json")
                    for d in items
                    if not d.is_cancelled and started_while_employed(d, employment)
                ]
            }
        return {volunteer: fields}

    categories = ["identity", "status", "hours.summary", "training"]
    if detail:
        categories.append("hours.detail")
    released = await gate.disclose_one(
        recipient,
        purpose,
        volunteer_id,
        request_id=request_id,
        categories=categories,
        provider=provide,
    )
    data = released.data
    summary_fields = data.get("hours_summary") if permits(released, "hours.summary") else None
    training = data.get("training") if permits(released, "training") else None
    duty_detail = data.get("hours_detail") if permits(released, "hours.detail") else None
    return StaffHoursOut(
        volunteer_id=released.volunteer_id,
        purpose=released.purpose,
        categories=list(released.categories),
        display_name=data.get("display_name") if permits(released, "identity") else None,
        status=data.get("status") if permits(released, "status") else None,
        hours_summary=summary_fields["summary"] if summary_fields else None,
        leave=summary_fields["leave"] if summary_fields else None,
        leave_unit=summary_fields["leave_unit"] if summary_fields else None,
        training_hours=training["training_hours"] if training else None,
        duties=duty_detail["duties"] if duty_detail else None,
        receipt=ReceiptOut.of(released.receipt),
    )


def started_while_employed(
    duty: DutyOut, employment: Sequence[tuple[dt.date, dt.date | None]]
) -> bool:
    day = dt.datetime.fromisoformat(duty.starts_at).date()
    return any(covers(s, e, day) for s, e in employment)


async def _organisation(
    organisation_id: str, people: list[_Person], first: Month, last: Month, settings: Settings
) -> OrgFiguresOut:
    threshold = settings.suppression_threshold
    minimum = minutes_of(settings.monthly_minimum_hours)
    months = months_between(first, last)
    per_person = {p.volunteer_id: p.totals for p in people}
    year_key = str(first.year) if first != last else None
    cohorts, verdicts = await _released_cohorts(
        organisation_id, people, months, year_key, threshold
    )

    month_rows: list[OrgMonthOut] = []
    all_shown = True
    total = esp = own = 0
    for i, month in enumerate(months):
        reason = verdicts.get(month.key)
        if reason is not None:
            all_shown = False
            month_rows.append(
                OrgMonthOut(month=month.key, suppressed=True, suppressed_reason=reason)
            )
            continue
        row, (m_total, m_esp, m_own) = _month_row(month, i, cohorts[month.key], per_person, minimum)
        total, esp, own = total + m_total, esp + m_esp, own + m_own
        month_rows.append(row)
    period_key = year_key or first.key
    reason = verdicts.get(period_key)
    if year_key is not None and not all_shown:
        reason = "a month of the period is suppressed, so the period's totals are too"
    if reason is not None:
        return OrgFiguresOut(
            suppressed=True, suppressed_reason=reason, threshold=threshold, months=month_rows
        )
    cohort = cohorts[period_key]
    leave_hours, leave_days = _leave_used(people, cohort, first, last)
    return OrgFiguresOut(
        suppressed=False,
        threshold=threshold,
        staff=len(cohort),
        total_hours=float(hours(total)),
        esp_leave_hours=float(hours(esp)),
        own_time_hours=float(hours(own)),
        average_hours_per_person=float(hours(total // len(cohort))) if cohort else 0.0,
        leave_used_hours=float(from_units("hours_per_month", leave_hours)),
        leave_used_days=float(from_units("days_per_year", leave_days)),
        months=month_rows,
    )


async def _released_cohorts(
    organisation_id: str,
    people: list[_Person],
    months: Sequence[Month],
    year_key: str | None,
    threshold: int,
) -> tuple[dict[str, frozenset[str]], dict[str, str | None]]:
    """Each month's cohort (and the year's, for a whole year) and the release verdicts, recorded:
    rule 3 (every month) first, then the year's own."""
    cohorts: dict[str, frozenset[str]] = {}
    for month in months:
        cohorts[month.key] = frozenset(
            p.volunteer_id for p in people if _employed_in(p.employment, month)
        )
    verdicts = await check_and_record_releases(organisation_id, dict(cohorts), threshold)
    if year_key is not None:
        cohorts[year_key] = frozenset().union(*cohorts.values())
        if all(verdicts[m.key] is None for m in months):
            verdicts |= await check_and_record_releases(
                organisation_id, {year_key: cohorts[year_key]}, threshold
            )
    return cohorts, verdicts


def _month_row(
    month: Month,
    i: int,
    cohort: frozenset[str],
    per_person: dict[str, list[MonthTotals]],
    minimum: int,
) -> tuple[OrgMonthOut, tuple[int, int, int]]:
    """A shown month's figures, and its total, ESP-leave and own-time minutes."""
    m_total = sum(per_person[v][i].minutes for v in cohort)
    m_esp = sum(per_person[v][i].esp_leave_minutes for v in cohort)
    m_own = sum(per_person[v][i].own_time_minutes for v in cohort)
    row = OrgMonthOut(
        month=month.key,
        suppressed=False,
        staff=len(cohort),
        hours=float(hours(m_total)),
        esp_leave_hours=float(hours(m_esp)),
        own_time_hours=float(hours(m_own)),
        staff_meeting_minimum=sum(1 for v in cohort if per_person[v][i].minutes >= minimum),
    )
    return row, (m_total, m_esp, m_own)


def _leave_used(
    people: list[_Person], cohort: frozenset[str], first: Month, last: Month
) -> tuple[int, int]:
    """Leave the cohort used over the period: (minutes under hours policies, half days)."""
    leave_hours = leave_days = 0
    for person in people:
        if person.volunteer_id in cohort and person.balance is not None:
            used = person.balance.summary(first, last)["used"]
            if person.balance.unit == "hours_per_month":
                leave_hours += used
            else:
                leave_days += used
    return leave_hours, leave_days


CSV_COLUMNS = (
    "row",
    "volunteer_id",
    "display_name",
    "status",
    "total_hours",
    "esp_leave_hours",
    "own_time_hours",
    "months_minimum_met",
    "months_counted",
    "leave_unit",
    "leave_granted",
    "leave_used",
    "leave_available",
    "training_hours",
    "categories",
    "ledger_index",
)


def report_csv(report: EmployerReportOut) -> Iterator[str]:
    """The report as CSV: one row per person (each a disclosure), then the organisation row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in report.staff:
        values = row.model_dump()
        values["row"] = "person"
        values["categories"] = " ".join(row.categories)
        writer.writerow(safe_row(values.get(c) for c in CSV_COLUMNS))
        yield flush()
    org = report.organisation
    writer.writerow(
        safe_row(
            [
                "organisation",
                "",
                "suppressed: " + (org.suppressed_reason or "") if org.suppressed else "",
                "",
                org.total_hours,
                org.esp_leave_hours,
                org.own_time_hours,
                "",
                "",
                "",
                "",
                org.leave_used_hours,
                "",
                "",
                "",
                "",
            ]
        )
    )
    yield flush()
