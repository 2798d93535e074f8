"""What the employer's staff pages show of the data the gate released, in the employer's words.

The gate decides what leaves; this only lays it out: each released field becomes a row of a
GOV.UK summary list (one staff member's page) or a cell of the staff table, worded by
:mod:`portal.web.labels` (an HR contact reads "Special Constable status: Serving", never a
field name or a raw dump of a dictionary). A field the gate did not release is not mentioned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.applications.stages import OUTCOME_LABELS, STAGE_LABELS
from portal.recognition.kinds import AWARD_KIND_LABELS
from portal.web import labels
from portal.web.templating import long_date

#: The staff table's columns, in this order, for the fields that are there (the name is the
#: link to the person's page, so it has no column of its own).
TABLE_COLUMNS = (
    ("status", "Status"),
    ("application_stage", "Application"),
    ("hours_summary", "Duty hours this year"),
    ("training", "Training this year"),
    ("recognition", "Awards"),
)


@dataclass(frozen=True)
class Row:
    """One row of a summary list: what it is, and its value in words."""

    key: str
    value: str


def _status(value: Any) -> str:
    return labels.VOLUNTEER_STATUS.get(str(value), "Not known")


def _stage(value: Any) -> str:
    return labels.APPLICATION_STAGE.get(str(value), "Not known")


def _training(value: Any) -> str:
    if isinstance(value, Mapping):
        return labels.hours_text(value.get("training_hours"))
    return "Not recorded"


def _award(award: Any) -> str:
    """A released award in words: "Five years (Long-service award, 6 January 2025)"."""
    if not isinstance(award, Mapping):
        return str(award)
    kind = AWARD_KIND_LABELS.get(str(award.get("kind")), "Recognition")
    title = str(award.get("title") or kind)
    day = long_date(award.get("awarded_on"))
    return f"{title} ({kind}, {day})" if day else f"{title} ({kind})"


def _recognition(value: Any) -> str:
    if value in (None, "", [], {}):
        return "None recorded"
    if isinstance(value, list | tuple):
        return "; ".join(_award(v) for v in value)
    return _award(value)


def _steps(value: Any) -> str:
    """Released milestones in words: "Application received (Passed, 3 March 2026); ..."."""
    if not isinstance(value, list | tuple) or not value:
        return "None recorded"
    words = []
    for step in value:
        if not isinstance(step, Mapping):
            continue
        stage = STAGE_LABELS.get(str(step.get("stage")), "A step")
        state = str(step.get("state"))
        done = OUTCOME_LABELS.get(state, state.replace("_", " ").capitalize())
        day = long_date(step.get("on"))
        words.append(f"{stage} ({done}, {day})" if day else f"{stage} ({done})")
    return "; ".join(words) or "None recorded"


def _hour_rows(summary: Mapping[str, Any], minimum_hours: float) -> list[Row]:
    period = summary.get("period")
    within = f" in {period}" if period else ""
    rows = [
        Row(f"Duty hours{within}", labels.duty_hours_text(dict(summary))),
        Row(
            f"Months with at least {labels.hours_text(minimum_hours)}",
            labels.minimum_text(dict(summary)),
        ),
    ]
    leave = labels.leave_text(dict(summary))
    if leave is not None:
        rows.append(Row(f"ESP leave{within}", leave))
    return rows


def member_rows(data: Mapping[str, Any], minimum_hours: float) -> list[Row]:
    """One staff member's released data as summary-list rows (the name is the page heading;
    duty records have their own table)."""
    rows: list[Row] = []
    if "status" in data:
        rows.append(Row("Special Constable status", _status(data["status"])))
    if "application_stage" in data:
        rows.append(Row("Application progress", _stage(data["application_stage"])))
    if "application_milestones" in data:
        rows.append(Row("Application steps", _steps(data["application_milestones"])))
    if "training_milestones" in data:
        rows.append(Row("Training course", _steps(data["training_milestones"])))
    summary = data.get("hours_summary")
    if isinstance(summary, Mapping):
        rows.extend(_hour_rows(summary, minimum_hours))
    if "training" in data:
        rows.append(Row("Training hours this year", _training(data["training"])))
    if "recognition" in data:
        rows.append(Row("Awards and recognition", _recognition(data["recognition"])))
    return rows


def table_columns(staff: Sequence[Any]) -> list[tuple[str, str]]:
    """The staff table's columns: (field, heading) for each field someone on the page has."""
    present = {name for member in staff for name in member.data}
    return [(field, heading) for field, heading in TABLE_COLUMNS if field in present]


def cell(field: str, data: Mapping[str, Any]) -> str:
    """One field of one staff member, short enough for a table cell on a phone."""
    if field not in data:
        return "Not shared"
    value = data[field]
    if field == "status":
        return _status(value)
    if field == "application_stage":
        return _stage(value)
    if field == "hours_summary" and isinstance(value, Mapping):
        total = labels.hours_text(value.get("total_hours"))
        leave = value.get("esp_leave_hours")
        return total if leave is None else f"{total}, {labels.hours_text(leave)} on ESP leave"
    if field == "training":
        return _training(value)
    return _recognition(value)
