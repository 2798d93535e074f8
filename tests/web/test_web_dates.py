"""GOV.UK date inputs: three boxes read into one date, each error worded and placed as the
Design System asks, and the boxes kept as typed."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.web.dates import DateAnswer, date_input, read_date
from portal.web.pages import FormErrors

LABEL = "The date the agreement starts"


def boxes(day: str = "", month: str = "", year: str = "") -> dict[str, str]:
    return {"starts_on-day": day, "starts_on-month": month, "starts_on-year": year}


def test_three_boxes_make_one_date():
    answer = read_date(boxes(" 7 ", "03", "2026"), "starts_on", LABEL)
    assert answer.value == dt.date(2026, 3, 7) and answer.message is None
    assert (answer.day, answer.month, answer.year) == ("7", "03", "2026")
    assert answer.iso == "2026-03-07"


@pytest.mark.parametrize(
    ("typed", "message", "wrong"),
    [
        (boxes(), "Enter the date the agreement starts", ("day", "month", "year")),
        (boxes("7", "", "2026"), f"{LABEL} must include a month", ("month",)),
        (boxes("", "", "2026"), f"{LABEL} must include a day and month", ("day", "month")),
        (boxes("", "3", ""), f"{LABEL} must include a day and year", ("day", "year")),
        (boxes("30", "2", "2026"), f"{LABEL} must be a real date", ("day",)),
        (boxes("1", "13", "2026"), f"{LABEL} must be a real date", ("month",)),
        (boxes("1", "March", "2026"), f"{LABEL} must be a real date", ("month",)),
        (boxes("1", "²", "2026"), f"{LABEL} must be a real date", ("month",)),
        (boxes("1", "3", "26"), "Year must include 4 numbers", ("year",)),
    ],
)
def test_each_mistake_has_the_pattern_message_and_marks_its_boxes(typed, message, wrong):
    answer = read_date(typed, "starts_on", LABEL, required="Enter the date the agreement starts")
    assert answer.value is None
    assert answer.message == message and answer.wrong == wrong
    assert answer.anchor == f"starts_on-{wrong[0]}"
    errors = FormErrors()
    answer.report(errors)
    assert errors.summary == [{"text": message, "href": f"#starts_on-{wrong[0]}"}]
    # What was typed is shown back, box by box, and only the wrong boxes are marked.
    params = date_input({"starts_on": answer}, "starts_on", "Starts on", errors)
    assert params["errorMessage"] == {"text": message}
    assert [item["value"] for item in params["items"]] == [answer.day, answer.month, answer.year]
    marked = [item["name"] for item in params["items"] if "govuk-input--error" in item["classes"]]
    assert tuple(marked) == wrong


def test_an_optional_date_may_be_left_blank():
    answer = read_date({}, "since", "The start date")
    assert answer.value is None and answer.message is None and answer.blank
    assert read_date({"since": ""}, "since", "The start date").message is None


def test_links_may_carry_one_iso_value():
    answer = read_date({"since": "2026-03-31"}, "since", "The start date")
    assert answer.value == dt.date(2026, 3, 31)
    assert (answer.day, answer.month, answer.year) == ("31", "3", "2026")
    bad = read_date({"since": "not-a-date"}, "since", "The start date")
    assert bad.value is None and bad.message == "The start date must be a real date"
    assert bad.day == "not-a-date"  # shown back, not lost
    # The boxes win over a stray ISO value.
    both = read_date({"since": "2026-03-31", "since-day": "1"}, "since", "The start date")
    assert both.message == "The start date must include a month and year"


def test_an_error_found_later_marks_every_box():
    until = read_date({"until": "2026-01-01"}, "until", "The end date")
    later = until.with_error("The end date must be the same as or after the start date")
    errors = FormErrors()
    later.report(errors)
    params = date_input({"until": later}, "until", "To", errors)
    assert params["errorMessage"] == {"text": later.message}
    assert all("govuk-input--error" in item["classes"] for item in params["items"])
    assert [item["value"] for item in params["items"]] == ["1", "1", "2026"]


def test_one_name_in_several_forms_gets_its_own_ids():
    answer = read_date({}, "ends_on", "The last day", required="Enter the last day", id="ends_on-x")
    assert answer.anchor == "ends_on-x-day"
    params = date_input({"ends_on-x": answer}, "ends_on", "Last day", None, id="ends_on-x")
    assert params["id"] == "ends_on-x" and params["namePrefix"] == "ends_on"
    assert params["errorMessage"] is None  # no errors object: nothing shown


def test_a_page_shown_first_has_blank_boxes():
    for answers in (None, {}, "not a mapping"):
        params = date_input(answers, "since", "From")
        assert [item["value"] for item in params["items"]] == ["", "", ""]
        assert params["fieldset"]["legend"]["text"] == "From"
    assert DateAnswer("since").anchor == "since-day"
