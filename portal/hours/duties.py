"""Reading duty records and correcting them.

Only *current* versions count (the version nothing supersedes), and cancelled ones count for
nothing. A correction writes a new version that supersedes the current one, with its reason, under
the same duty-write lock and overlap rules as an import; nothing is edited in place.

The functions here do not decide who may see what: volunteers read their own records, the
coordinator reads them for the force, and employers only ever get them through
``portal.hours.gateway`` (the disclosure gate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from piccolo.columns.combination import WhereRaw

from portal.clock import UTC, utcnow
from portal.dbutil import as_moment
from portal.errors import Conflict, InvalidInput, NotFound
from portal.hours.aggregate import DutySpan, hours, minimum_status, minutes_of, monthly_totals
from portal.hours.csvformat import check_values
from portal.hours.ids import uuid7_text
from portal.hours.periods import MAX_DUTY, Month, local_midnight, london_iso
from portal.hours.rawdb import duty_write_transaction
from portal.hours.schemas import (
    CorrectionIn,
    DutyOut,
    HoursSummaryOut,
    MonthHoursOut,
    RollingOut,
)
from portal.hours.tables import DutyRecord, DutySource
from portal.ids import parse_id

log = structlog.get_logger(__name__)

CURRENT = WhereRaw("NOT EXISTS (SELECT 1 FROM duty_record x WHERE x.supersedes = duty_record.id)")
_ID_CHUNK = 400


def duty_out(row: dict[str, Any], current: bool = True) -> DutyOut:
    start = dt.datetime.fromtimestamp(int(row["start_s"]), UTC)
    end = dt.datetime.fromtimestamp(int(row["end_s"]), UTC)
    return DutyOut(
        id=str(row["id"]),
        duty_id=str(row["duty_id"]),
        version=int(row["version"]),
        volunteer_id=str(row["volunteer"]),
        starts_at=london_iso(start),
        ends_at=london_iso(end),
        hours=float(hours(int(row["minutes"]))),
        duty_type=str(row["duty_type"]),
        esp_leave=bool(row["esp_leave"]),
        is_cancelled=bool(row["is_cancelled"]),
        source=str(row["source"]),
        external_ref=str(row["external_ref"]),
        reason=str(row["reason"]),
        supersedes=str(row["supersedes"]) if row["supersedes"] else None,
        current=current,
        recorded_at=london_iso(as_moment(row["recorded_at"])),
    )


_DUTY_COLUMNS = (
    DutyRecord.id,
    DutyRecord.duty_id,
    DutyRecord.version,
    DutyRecord.volunteer,
    DutyRecord.start_s,
    DutyRecord.end_s,
    DutyRecord.minutes,
    DutyRecord.duty_type,
    DutyRecord.esp_leave,
    DutyRecord.is_cancelled,
    DutyRecord.source,
    DutyRecord.external_ref,
    DutyRecord.reason,
    DutyRecord.supersedes,
    DutyRecord.recorded_at,
)


def _window(first: Month, last: Month) -> tuple[int, int]:
    """POSIX seconds of duties that may touch ``first..last`` (a duty starts <= 24 h before)."""
    lo = int(first.start().timestamp() - MAX_DUTY.total_seconds())
    hi = int(last.end().timestamp())
    return lo, hi


async def spans_for(
    volunteer_ids: Sequence[str], first: Month, last: Month
) -> dict[str, list[DutySpan]]:
    """Current, not cancelled duties touching ``first..last``, per volunteer."""
    lo, hi = _window(first, last)
    found: dict[str, list[DutySpan]] = {v: [] for v in volunteer_ids}
    for start in range(0, len(volunteer_ids), _ID_CHUNK):
        chunk = list(volunteer_ids[start : start + _ID_CHUNK])
        rows = await DutyRecord.select(
            DutyRecord.volunteer,
            DutyRecord.start_s,
            DutyRecord.end_s,
            DutyRecord.esp_leave,
            DutyRecord.duty_type,
        ).where(
            DutyRecord.volunteer.is_in(chunk)
            & (DutyRecord.start_s >= lo)
            & (DutyRecord.start_s < hi)
            & (DutyRecord.is_cancelled == False)  # noqa: E712
            & CURRENT
        )
        for row in rows:
            found.setdefault(str(row["volunteer"]), []).append(
                DutySpan(
                    float(row["start_s"]),
                    float(row["end_s"]),
                    bool(row["esp_leave"]),
                    str(row["duty_type"]),
                )
            )
    return found


def clip_to_employment(
    spans: Iterable[DutySpan], employment: Sequence[tuple[dt.date, dt.date | None]]
) -> list[DutySpan]:
    """Only duties that start while the volunteer worked for the employer (London dates)."""
    ranges = [
        (
            local_midnight(starts_on).timestamp(),
            local_midnight(ends_on + dt.timedelta(days=1)).timestamp()
            if ends_on is not None
            else float("inf"),
        )
        for starts_on, ends_on in employment
    ]
    if len(ranges) == 1:
        lo, hi = ranges[0]
        return [s for s in spans if lo <= s.start < hi]
    return [s for s in spans if any(lo <= s.start < hi for lo, hi in ranges)]


def summarise(
    spans: Iterable[DutySpan], first: Month, last: Month, minimum_hours: float, period: str
) -> HoursSummaryOut:
    """Hours per month of ``first..last`` with the minimum and rolling three-month status."""
    minimum = minutes_of(minimum_hours)
    loaded_from = first.plus(-2)
    totals = monthly_totals(spans, loaded_from, last)
    statuses = minimum_status(totals, minimum)
    months: list[MonthHoursOut] = []
    for total, status in zip(totals[2:], statuses[2:], strict=True):
        months.append(
            MonthHoursOut(
                month=total.month.key,
                hours=float(hours(total.minutes)),
                esp_leave_hours=float(hours(total.esp_leave_minutes)),
                own_time_hours=float(hours(total.own_time_minutes)),
                training_hours=float(hours(total.training_minutes)),
                duties=total.duties,
                by_type={k: float(hours(v)) for k, v in sorted(total.by_type.items())},
                minimum_hours=float(hours(minimum)),
                minimum_met=status.met,
                short_by_hours=float(hours(status.short_by_minutes)),
                rolling_3_months=RollingOut(
                    months=status.rolling_months,
                    hours=float(hours(status.rolling_minutes)),
                    target_hours=float(hours(minimum * status.rolling_months)),
                    met=status.rolling_met,
                    short_by_hours=float(hours(status.rolling_short_by_minutes)),
                ),
            )
        )
    shown = totals[2:]
    return HoursSummaryOut(
        period=period,
        first_month=first.key,
        last_month=last.key,
        total_hours=float(hours(sum(t.minutes for t in shown))),
        esp_leave_hours=float(hours(sum(t.esp_leave_minutes for t in shown))),
        own_time_hours=float(hours(sum(t.own_time_minutes for t in shown))),
        training_hours=float(hours(sum(t.training_minutes for t in shown))),
        duties=sum(t.duties for t in shown),
        months_minimum_met=sum(1 for m in months if m.minimum_met),
        months_counted=len(months),
        months=months,
    )


async def list_duties(
    volunteer_id: str | None,
    first: Month,
    last: Month,
    *,
    include_history: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[DutyOut], int | None]:
    """Duties starting in ``first..last`` (current versions unless ``include_history``)."""
    lo = int(first.start().timestamp())
    hi = int(last.end().timestamp())
    condition = (DutyRecord.start_s >= lo) & (DutyRecord.start_s < hi)
    if volunteer_id is not None:
        condition = condition & (DutyRecord.volunteer == volunteer_id)
    if not include_history:
        condition = condition & CURRENT
    rows = (
        await DutyRecord.select(*_DUTY_COLUMNS)
        .where(condition)
        .order_by(DutyRecord.start_s)
        .order_by(DutyRecord.version)
        .limit(limit + 1)
        .offset(offset)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    superseded: set[str] = set()
    if include_history and rows:
        ids = [str(r["id"]) for r in rows]
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            for row in await DutyRecord.select(DutyRecord.supersedes).where(
                DutyRecord.supersedes.is_in(chunk)
            ):
                superseded.add(str(row["supersedes"]))
    items = [duty_out(r, current=str(r["id"]) not in superseded) for r in rows]
    return items, (offset + limit if more else None)


async def duty_history(duty_id: str, volunteer_id: str | None = None) -> list[DutyOut]:
    """Every version of one duty, oldest first (NotFound, also when not the volunteer's)."""
    key = parse_id(duty_id)
    if key is None:
        raise NotFound("No duty has this id")
    condition: Any = DutyRecord.duty_id == key
    if volunteer_id is not None:
        condition = condition & (DutyRecord.volunteer == volunteer_id)
    rows = await DutyRecord.select(*_DUTY_COLUMNS).where(condition).order_by(DutyRecord.version)
    if not rows:
        raise NotFound("No duty has this id")
    superseded = {str(r["supersedes"]) for r in rows if r["supersedes"]}
    return [duty_out(r, current=str(r["id"]) not in superseded) for r in rows]


async def current_duty(duty_id: str, volunteer_id: str | None = None) -> dict[str, Any]:
    key = parse_id(duty_id)
    if key is None:
        raise NotFound("No duty has this id")
    condition = (DutyRecord.duty_id == key) & CURRENT
    if volunteer_id is not None:
        condition = condition & (DutyRecord.volunteer == volunteer_id)
    row = await DutyRecord.select(*_DUTY_COLUMNS).where(condition).first()
    if row is None:
        raise NotFound("No duty has this id")
    return dict(row)


async def correct_duty(duty_id: str, change: CorrectionIn, recorded_by: str) -> DutyOut:
    """Write a new version of ``duty_id`` superseding its current one."""
    async with duty_write_transaction(DutyRecord) as raw:
        current = await current_duty(duty_id)
        start = change.starts_at or london_iso(
            dt.datetime.fromtimestamp(int(current["start_s"]), UTC)
        )
        end = change.ends_at or london_iso(dt.datetime.fromtimestamp(int(current["end_s"]), UTC))
        checked = check_values(
            1,
            str(current["volunteer"]),
            start,
            end,
            change.duty_type or str(current["duty_type"]),
            change.esp_leave if change.esp_leave is not None else bool(current["esp_leave"]),
            str(current["external_ref"]),
        )
        if isinstance(checked, list):
            field_names = {"start": "starts_at", "end": "ends_at"}
            errors = [
                {"field": field_names.get(e.field, e.field), "message": e.message} for e in checked
            ]
            raise InvalidInput("The correction is not valid", errors=errors)
        cancelled = change.cancel
        same = (
            checked.start_s == int(current["start_s"])
            and checked.end_s == int(current["end_s"])
            and checked.duty_type == current["duty_type"]
            and checked.esp_leave == bool(current["esp_leave"])
            and cancelled == bool(current["is_cancelled"])
        )
        if same:
            raise InvalidInput(
                "The correction changes nothing",
                errors=[{"field": "body", "message": "give a new value or cancel the duty"}],
            )
        if not cancelled:
            clash = await raw.fetch(
                "SELECT d.start_s, d.end_s FROM duty_record d WHERE d.volunteer = ? "
                "AND d.start_s > ? AND d.start_s < ? AND d.end_s > ? AND d.is_cancelled = FALSE "
                "AND d.duty_id <> ? AND NOT EXISTS "
                "(SELECT 1 FROM duty_record x WHERE x.supersedes = d.id) LIMIT 1",
                str(current["volunteer"]),
                checked.start_s - int(MAX_DUTY.total_seconds()),
                checked.end_s,
                checked.start_s,
                str(current["duty_id"]),
            )
            if clash:
                other = clash[0]
                raise Conflict(
                    "The corrected duty would overlap another duty of the volunteer ("
                    f"{london_iso(dt.datetime.fromtimestamp(int(other['start_s']), UTC))} to "
                    f"{london_iso(dt.datetime.fromtimestamp(int(other['end_s']), UTC))})"
                )
        new_id = uuid7_text()
        now = utcnow()
        starts_at = dt.datetime.fromtimestamp(checked.start_s, UTC)
        ends_at = dt.datetime.fromtimestamp(checked.end_s, UTC)
        await DutyRecord.insert(
            DutyRecord(
                id=new_id,
                duty_id=str(current["duty_id"]),
                version=int(current["version"]) + 1,
                volunteer=str(current["volunteer"]),
                starts_at=starts_at,
                ends_at=ends_at,
                start_s=checked.start_s,
                end_s=checked.end_s,
                minutes=round((checked.end_s - checked.start_s) / 60),
                duty_type=checked.duty_type,
                esp_leave=checked.esp_leave,
                is_cancelled=cancelled,
                source=DutySource.COORDINATOR.value,
                external_ref=str(current["external_ref"]),
                supersedes=str(current["id"]),
                reason=change.reason.strip(),
                recorded_by=recorded_by[:64],
                recorded_at=now,
            )
        )
    log.info("hours.duty.corrected", duty_id=str(current["duty_id"]), version_id=new_id)
    history = await duty_history(str(current["duty_id"]))
    return history[-1]
