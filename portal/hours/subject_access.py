"""A person's duty records as the force holds them, for their subject access report (Art. 15).

Every version of every duty is a copy of data held (corrections included), so nothing here
filters by period or employer. :func:`duty_fields` turns them into the values of the gate's hours
fields, so the DPO's ``dpo.audit`` entry names the hours categories the report shows, and only
when the person has duty records (a category nothing fills is not ledgered).
"""

from __future__ import annotations

from typing import Any

from portal.hours.duties import _DUTY_COLUMNS, duty_out
from portal.hours.schemas import DutyOut
from portal.hours.tables import DutyRecord, DutyType
from portal.ids import parse_id


async def duties_held(volunteer_id: str) -> list[DutyOut]:
    """Every version of every duty of the person, oldest first (a bad id holds nothing)."""
    key = parse_id(volunteer_id)
    if key is None:
        return []
    rows = (
        await DutyRecord.select(*_DUTY_COLUMNS)
        .where(DutyRecord.volunteer == key)
        .order_by(DutyRecord.start_s)
        .order_by(DutyRecord.version)
    )
    superseded = {str(r["supersedes"]) for r in rows if r["supersedes"]}
    return [duty_out(r, current=str(r["id"]) not in superseded) for r in rows]


def _hours(duties: list[DutyOut]) -> float:
    return round(sum(d.hours for d in duties), 2)


def duty_fields(duties: list[DutyOut]) -> dict[str, Any]:
    """The gate's hours fields over all the person's current duties (empty: no duty records)."""
    if not duties:
        return {}
    counted = [d for d in duties if d.current and not d.is_cancelled]
    training = [d for d in counted if d.duty_type == DutyType.TRAINING.value]
    return {
        "hours_summary": {
            "period": "all",
            "duties": len(counted),
            "hours": _hours(counted),
            "esp_leave_hours": _hours([d for d in counted if d.esp_leave]),
            "own_time_hours": _hours([d for d in counted if not d.esp_leave]),
        },
        "hours_detail": {"period": "all", "versions": len(duties)},
        "training": {"duties": len(training), "hours": _hours(training)},
    }
