"""The Jinja environment of the web pages: our templates, then the GOV.UK Frontend Jinja macros.

Templates autoescape everything; filters format times in Europe/London for people (storage and
the API stay UTC) and numbers the way the pages show them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from portal.clock import LONDON
from portal.web import labels
from portal.web.dates import date_input
from portal.web.paging import pagination

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LONDON)


def london_datetime(value: Any) -> str:
    """``3 March 2026, 2:05pm`` in UK time, the GOV.UK style."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M}{suffix}"


def london_span(starts: Any, ends: Any) -> str:
    """``3 March 2026, 9:00am to 2:00pm``; the end's date too when it is another day."""
    first, last = _as_datetime(starts), _as_datetime(ends)
    if first is None or last is None:
        return f"{london_datetime(starts)} to {london_datetime(ends)}"
    if first.date() != last.date():
        return f"{london_datetime(first)} to {london_datetime(last)}"
    hour = last.hour % 12 or 12
    return f"{london_datetime(first)} to {hour}:{last:%M}{'am' if last.hour < 12 else 'pm'}"


def long_date(value: Any) -> str:
    """``3 March 2026``."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        moment = _as_datetime(value)
        day: dt.date = moment.date() if moment else value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        return str(value)
    return f"{day.day} {day:%B %Y}"


def month_name(value: Any) -> str:
    """``2026-03`` or a date -> ``March 2026``."""
    if isinstance(value, dt.date):
        return f"{value:%B %Y}"
    text = str(value)
    try:
        return f"{dt.date.fromisoformat(text[:7] + '-01'):%B %Y}"
    except ValueError:
        return text


def hours(value: Any) -> str:
    """``12.5`` -> ``12.5 hours``; whole numbers without a decimal point."""
    if value is None:
        return ""
    number = float(value)
    text = f"{number:.0f}" if number == int(number) else f"{number:.1f}"
    return f"{text} hour" if text == "1" else f"{text} hours"


def number(value: Any) -> str:
    if value is None:
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string from ``params`` with ``changes`` applied; empty values are dropped."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "")}
    return ("?" + urlencode(kept)) if kept else ""


def build_environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        london_datetime=london_datetime,
        long_date=long_date,
        month_name=month_name,
        hours=hours,
        number=number,
    )
    env.filters.update(
        purpose_label=labels.purpose_label,
        category_label=labels.category_label,
        basis=labels.basis,
        kind_label=labels.kind_label,
        field_label=labels.field_label,
        employer_category=labels.employer_category,
        employer_purpose=labels.employer_purpose,
        employer_categories=labels.employer_categories,
        recipient_kind=labels.recipient_kind,
        agreement_kind=labels.agreement_kind,
        figure=lambda value: "" if value is None else labels.figure(float(value)),
        status_label=lambda code: labels.VOLUNTEER_STATUS.get(str(code), str(code)),
        consent_state=lambda code: labels.CONSENT_STATE.get(str(code), str(code)),
    )
    env.globals["query"] = query
    env.globals["london_span"] = london_span
    env.globals["pagination"] = pagination
    env.globals["date_input"] = date_input
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(build_environment()))
