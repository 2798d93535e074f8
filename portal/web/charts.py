"""Accessible charts as SVG, drawn on the server (no script, no inline style).

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``
(which states the figures in words); every page that shows one also shows the same figures in a
data table. Colours come from the stylesheet's ``app-chart`` classes, so they follow its contrast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
