"""The employer's staff pages put released fields into words: never a field name, a boolean, a
dictionary or a code. Pure functions, no database."""

from __future__ import annotations

from portal.web import labels, staffview

SUMMARY = {
    "period": "2026",
    "total_hours": 38.0,
    "esp_leave_hours": 26.0,
    "own_time_hours": 12.0,
    "months_minimum_met": 3,
    "months_counted": 11,
    "minimum_met_every_month": False,
    "leave_unit": "hours",
    "leave_granted": 96.0,
    "leave_used": 24.0,
    "leave_available": 40.5,
}


def test_a_staff_member_in_words() -> None:
    rows = staffview.member_rows(
        {
            "display_name": "Sam Special",
            "status": "in_training",
            "application_stage": "accepted_in_training",
            "application_milestones": [
                {"stage": "received", "state": "passed", "on": "2026-01-05"},
                {"stage": "vetting", "state": "complete", "on": "2026-02-10"},
            ],
            "training_milestones": [
                {"stage": "training_booked", "state": "in_progress", "on": "2026-03-01"}
            ],
            "hours_summary": SUMMARY,
            "training": {"training_hours": 1.0},
            "recognition": [
                {"kind": "long_service", "title": "Five years", "awarded_on": "2025-01-06"}
            ],
        },
        16.0,
    )
    assert [(r.key, r.value) for r in rows] == [
        ("Special Constable status", "In training"),
        ("Application progress", "Accepted, in training"),
        (
            "Application steps",
            "Application received (Passed, 5 January 2026); Vetting (Complete, 10 February 2026)",
        ),
        ("Training course", "Training course booked (In progress, 1 March 2026)"),
        ("Duty hours in 2026", "38 hours: 26 hours on ESP leave, 12 hours in own time"),
        ("Months with at least 16 hours", "Met in 3 of 11 months"),
        ("ESP leave in 2026", "24 of 96 hours used, 40.5 hours available now"),
        ("Training hours this year", "1 hour"),
        ("Awards and recognition", "Five years (Long-service award, 6 January 2025)"),
    ]


def test_the_staff_table_in_words() -> None:
    data = {"display_name": "Sam Special", "status": "active", "hours_summary": SUMMARY}

    class Member:
        def __init__(self, data: dict[str, object]) -> None:
            self.data = data

    columns = staffview.table_columns([Member(data)])
    assert columns == [("status", "Status"), ("hours_summary", "Duty hours this year")]
    assert [staffview.cell(f, data) for f, _ in columns] == [
        "Serving",
        "38 hours, 26 hours on ESP leave",
    ]
    assert staffview.cell("training", data) == "Not shared"


def test_categories_and_purposes_as_an_employer_reads_them() -> None:
    codes = ["hours.summary", "identity", "status"]
    assert labels.employer_categories(codes) == (
        "Name, Special Constable status and totals of duty hours"
    )
    assert labels.employer_categories(codes, start=False).startswith("name, ")
    assert labels.employer_categories(["hours.detail"]) == "Individual duty records"
    assert labels.employer_purpose("esp.application-progress") == "Following their application"
    assert labels.minimum_text({"months_counted": 0}) == "No month counted yet"
    assert labels.leave_text({"total_hours": 3.0}) is None
