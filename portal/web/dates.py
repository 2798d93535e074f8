"""GOV.UK date inputs: three boxes (day, month, year) read into one date, with the pattern's errors.

Why not ``<input type=date>``: browsers lay its parts out in their own interface language, not
the page's, and screen readers announce it inconsistently. The GOV.UK Design System asks for
three labelled boxes instead, and says how to word each error ("... must include a month",
"... must be a real date"). A page keeps the three boxes exactly as typed when it shows an error.

A date may also arrive as one ISO value under the bare name (``?since=2026-03-31``): the
pages' own links (pagination, bookmarks) carry dates that way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from portal.web.forms import field_text
from portal.web.pages import FormErrors

__all__ = ["PARTS", "DateAnswer", "date_input", "read_date"]

PARTS = ("day", "month", "year")
_WIDTHS = {"day": 2, "month": 2, "year": 4}
_MAX_TYPED = 10  # per box: more than a date part, so a mistyped value is shown back, not lost


@dataclass(frozen=True, slots=True)
class DateAnswer:
    """What was typed into one date input, the date it means, and what is wrong with it."""

    name: str  # the boxes are named <name>-day, <name>-month and <name>-year
    day: str = ""
    month: str = ""
    year: str = ""
    value: dt.date | None = None
    wrong: tuple[str, ...] = ()
    message: str | None = None
    id: str = ""  # the boxes' ids are <id>-day, ...; the name when empty

    @property
    def id_prefix(self) -> str:
        return self.id or self.name

    @property
    def blank(self) -> bool:
        return not (self.day or self.month or self.year)

    @property
    def anchor(self) -> str:
        """The box the error summary links to: the first one in error (day if all are)."""
        return f"{self.id_prefix}-{(self.wrong or PARTS)[0]}"

    @property
    def iso(self) -> str:
        return self.value.isoformat() if self.value else ""

    def report(self, errors: FormErrors) -> None:
        """Add this answer's error, if any, to the page's errors."""
        if self.message:
            errors.add(self.anchor, self.message)

    def with_error(self, message: str) -> DateAnswer:
        """The same answer with an error found later (by a service, or against another date)."""
        return replace(self, wrong=self.wrong or PARTS, message=message)


def read_date(
    source: Mapping[str, Any],
    name: str,
    label: str,
    *,
    required: str | None = None,
    id: str = "",
) -> DateAnswer:
    """Read the boxes ``<name>-day``, ``-month`` and ``-year`` (or an ISO ``<name>``).

    ``label`` names the date in messages ("The date the agreement starts"); ``required`` is the
    message for a blank answer, or None when a blank answer is allowed. ``id`` is the boxes' id
    prefix when one form name is used by several forms on a page.
    """
    return replace(_read(source, name, label, required), id=id)


def _read(source: Mapping[str, Any], name: str, label: str, required: str | None) -> DateAnswer:
    typed = {part: field_text(source, f"{name}-{part}", _MAX_TYPED) for part in PARTS}
    if not any(typed.values()):
        legacy = field_text(source, name, _MAX_TYPED)
        if legacy:
            return _from_iso(name, legacy, label)
        if required:
            return DateAnswer(name, wrong=PARTS, message=required)
        return DateAnswer(name)
    typed_answer = DateAnswer(name, typed["day"], typed["month"], typed["year"])
    missing = tuple(part for part in PARTS if not typed[part])
    if missing:
        return replace(
            typed_answer, wrong=missing, message=f"{label} must include a {_and(missing)}"
        )
    not_numbers = tuple(
        part for part in PARTS if not (typed[part].isascii() and typed[part].isdigit())
    )
    if not_numbers:
        return replace(typed_answer, wrong=not_numbers, message=f"{label} must be a real date")
    if len(typed["year"]) != 4:
        return replace(typed_answer, wrong=("year",), message="Year must include 4 numbers")
    try:
        value = dt.date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
    except ValueError:
        wrong = ("month",) if not 1 <= int(typed["month"]) <= 12 else ("day",)
        return replace(typed_answer, wrong=wrong, message=f"{label} must be a real date")
    return replace(typed_answer, value=value)


def date_input(
    answers: Any,
    name: str,
    legend: str,
    errors: FormErrors | None = None,
    *,
    id: str = "",
    hint: str = "For example, 27 3 2026",
) -> dict[str, Any]:
    """The parameters of ``govukDateInput`` for the answer under ``id or name`` in ``answers``.

    ``answers`` is the page's mapping of date answers; anything else (a page shown for the first
    time passes none) gives blank boxes.
    """
    key = id or name
    found = answers.get(key) if isinstance(answers, Mapping) else None
    answer = found if isinstance(found, DateAnswer) else DateAnswer(name, id=id)
    message = errors.message(answer.anchor) if isinstance(errors, FormErrors) else None
    return {
        "id": key,
        "namePrefix": name,
        "fieldset": {"legend": {"text": legend, "classes": "govuk-fieldset__legend--s"}},
        "hint": {"text": hint},
        "errorMessage": message,
        "items": [
            {
                "name": part,
                "value": getattr(answer, part),
                "classes": f"govuk-input--width-{_WIDTHS[part]}"
                + (" govuk-input--error" if message and part in (answer.wrong or PARTS) else ""),
            }
            for part in PARTS
        ],
    }


def _from_iso(name: str, text: str, label: str) -> DateAnswer:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        # Shown back in the day box, so the user sees what arrived and can correct it.
        return DateAnswer(name, day=text, wrong=PARTS, message=f"{label} must be a real date")
    return DateAnswer(name, str(value.day), str(value.month), str(value.year), value)


def _and(parts: tuple[str, ...]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
