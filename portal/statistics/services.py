"""Counting page views in aggregate and reading them back with small counts suppressed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog

from portal.statistics.tables import PageViewCount

log = structlog.get_logger(__name__)

_UPSERT = (
    "INSERT INTO page_view_count (day, route, role, views) VALUES ({}, {}, {}, 1) "
    "ON CONFLICT (day, route, role) DO UPDATE SET views = page_view_count.views + 1"
)


async def count_view(day: dt.date, route: str, role: str) -> None:
    """One more view of ``route`` (a template) by someone of ``role`` on ``day``. Never fails
    the page: a count lost to a database hiccup is logged and dropped."""
    try:
        engine = PageViewCount._meta.db
        day_value: object = day.isoformat() if engine.engine_type == "sqlite" else day
        await PageViewCount.raw(_UPSERT, day_value, route[:200], role[:20])
    except Exception as exc:  # statistics must never break a page
        log.warning("statistics.count_failed", error=type(exc).__name__)


@dataclass(frozen=True)
class RouteRow:
    route: str
    total: int
    by_role: dict[str, int]


@dataclass(frozen=True)
class Usage:
    days: list[tuple[dt.date, int]]
    routes: list[RouteRow]
    roles: list[str]


def shown(count: int, *, threshold: int) -> str:
    """A count as it may be shown: one below the suppression threshold
    (``ESP_SUPPRESSION_THRESHOLD``, as for the employer reports) only as "fewer than" it."""
    return f"fewer than {threshold}" if count < threshold else str(count)


async def usage(since: dt.date, until: dt.date) -> Usage:
    rows = await PageViewCount.select().where(
        (PageViewCount.day >= since) & (PageViewCount.day <= until)
    )
    per_day: dict[dt.date, int] = {}
    per_route: dict[str, dict[str, int]] = {}
    roles: set[str] = set()
    for row in rows:
        day = row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(row["day"])
        per_day[day] = per_day.get(day, 0) + int(row["views"])
        counts = per_route.setdefault(row["route"], {})
        counts[row["role"]] = counts.get(row["role"], 0) + int(row["views"])
        roles.add(row["role"])
    days = [
        (since + dt.timedelta(days=i), per_day.get(since + dt.timedelta(days=i), 0))
        for i in range((until - since).days + 1)
    ]
    routes = sorted(
        (RouteRow(route, sum(c.values()), c) for route, c in per_route.items()),
        key=lambda r: (-r.total, r.route),
    )
    return Usage(days=days, routes=routes, roles=sorted(roles))
