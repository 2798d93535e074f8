"""Accessible charts as SVG, drawn on the server (no script, no inline style).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(which states the figures in words); every page that shows one also shows the same figures in a
data table. Colours come from the stylesheet's ``app-chart`` classes, so they follow its contrast.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

WIDTH = 480
HEIGHT = 260
LEFT = 40
RIGHT = 12
TOP = 24
BOTTOM = 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: Drawn in the "short" colour (e.g. a month below the minimum).
    short: bool = False


TICKS = 4


def _nice_step(value: float) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) so that 4 steps reach ``value``."""
    if value <= 0:
        return 1.0
    raw = value / TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    *,
    line: float | None = None,
    unit: str = "hours",
) -> Markup:
    """Vertical bars (one per label) with an optional horizontal reference line."""
    step = _nice_step(max([b.value for b in bars] + [line or 0, 0]))
    top_value = step * TICKS
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.6, 2)

    def y(value: float) -> float:
        return TOP + plot_h - (value / top_value) * plot_h

    parts = [
        f'<svg class="app-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for tick in range(TICKS + 1):
        value = step * tick
        parts.append(
            f'<text class="app-chart__label" x="{LEFT - 6}" y="{y(value) + 5:.1f}" '
            f'text-anchor="end">{escape(_number(value))}</text>'
        )
    parts.append(
        f'<line class="app-chart__axis" x1="{LEFT}" y1="{TOP + plot_h}" '
        f'x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}"/>'
    )
    every = max(1, math.ceil(len(bars) / 12))
    for i, bar in enumerate(bars):
        x = LEFT + slot * i + (slot - bar_w) / 2
        height = max(TOP + plot_h - y(bar.value), 0)
        css = "app-chart__bar app-chart__bar--short" if bar.short else "app-chart__bar"
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{bar_w:.1f}" height="{height:.1f}"/>'
        )
        if i % every == 0:
            parts.append(
                f'<text class="app-chart__label" x="{x + bar_w / 2:.1f}" '
                f'y="{HEIGHT - BOTTOM + 20}" text-anchor="middle">{escape(bar.label)}</text>'
            )
    if line is not None:
        parts.append(
            f'<line class="app-chart__line" x1="{LEFT}" y1="{y(line):.1f}" '
            f'x2="{WIDTH - RIGHT}" y2="{y(line):.1f}"/>'
        )
    parts.append(
        f'<text class="app-chart__label" x="4" y="{TOP - 4}">{escape(unit.capitalize())}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped above


def progress_chart(
    chart_id: str, title: str, description: str, used: float, allowance: float, unit: str
) -> Markup:
    """One horizontal bar: how much of an allowance is used."""
    height = 70
    track = WIDTH - LEFT - RIGHT
    share = 0.0 if allowance <= 0 else min(used / allowance, 1.0)
    parts = [
        f'<svg class="app-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<rect class="app-chart__track" x="{LEFT}" y="10" width="{track}" height="28"/>',
        f'<rect class="app-chart__bar" x="{LEFT}" y="10" width="{track * share:.1f}" height="28"/>',
        f'<text class="app-chart__label" x="{LEFT}" y="60">'
        f"{escape(_number(used))} of {escape(_number(allowance))} {escape(unit)} used</text>",
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped above


# ----------------------------------------------------------------------------- hours charts
# Each chart's description states its figures in words (docs/WEB.md), not only where to find
# them; the words live here, next to the drawing, so a page handler only passes the figures.


class MonthHours(Protocol):
    """A month of an organisation report: its ``YYYY-MM`` key and hours (None if suppressed)."""

    @property
    def month(self) -> str: ...
    @property
    def hours(self) -> float | None: ...


class VolunteerMonth(Protocol):
    @property
    def month(self) -> str: ...
    @property
    def hours(self) -> float: ...
    @property
    def minimum_met(self) -> bool: ...


class VolunteerSummary(Protocol):
    @property
    def months(self) -> Sequence[VolunteerMonth]: ...
    @property
    def last_month(self) -> str: ...


def month_label(key: str) -> str:
    """``2026-03`` -> ``Mar`` (an axis label); anything else unchanged."""
    try:
        return dt.date.fromisoformat(key + "-01").strftime("%b")
    except ValueError:
        return key


def _month_name(key: str) -> str:
    try:
        return f"{dt.date.fromisoformat(key + '-01'):%B %Y}"
    except ValueError:
        return key


def organisation_hours_chart(shown: Sequence[MonthHours]) -> Markup | None:
    """The employer report's chart of the months shown (suppressed ones already left out)."""
    if not shown:
        return None
    total = sum(m.hours or 0.0 for m in shown)
    busiest = max(shown, key=lambda m: m.hours or 0.0)
    return bar_chart(
        "org-hours-chart",
        "Hours of Special Constabulary duty by your staff, per month",
        f"Total hours per month of the staff who allow it, in the {len(shown)} "
        f"month{'' if len(shown) == 1 else 's'} shown: {total:g} hours in all, the "
        f"most in {_month_name(busiest.month[:7])} ({busiest.hours or 0.0:g} hours). "
        "Months with too few people to show safely are left out. The table below "
        "gives every figure.",
        [Bar(month_label(m.month), m.hours or 0.0) for m in shown],
    )


def volunteer_hours_chart(summary: VolunteerSummary, minimum: float) -> Markup:
    """A volunteer's hours per month against the monthly minimum."""
    bars = [Bar(month_label(m.month), m.hours, short=not m.minimum_met) for m in summary.months]
    met = sum(1 for m in summary.months if m.minimum_met)
    return bar_chart(
        "hours-chart",
        "Your hours per month",
        f"Hours of duty in each of the {len(bars)} months to {month_label(summary.last_month)}, "
        f"against the monthly minimum of {minimum:g} hours: the minimum was met in {met} of "
        f"{len(bars)} months. The table below gives every figure.",
        bars,
        line=minimum,
    )
