"""Employed on a given day": the one definition, for queries, raw SQL and loaded spells.

An employment spell covers ``day`` when it has started (``starts_on <= day``) and has not
ended (``ends_on`` empty, or ``day <= ends_on``; the last day counts). Days are London dates,
chosen by the caller. A spell that has not ended yet but starts later is a *current or future*
job (:func:`not_ended_by`): a volunteer may consent to it ahead of the first day.
The gate (raw SQL, for speed), the hours views, the consent rules, the volunteer's pages and the
demo loader all use these, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt

from piccolo.custom_types import Combinable

from portal.organisations.tables import Employment


def covers(starts_on: dt.date, ends_on: dt.date | None, day: dt.date) -> bool:
    """Whether a spell from ``starts_on`` to ``ends_on`` (open when ``None``) covers ``day``."""
    return starts_on <= day and not has_ended(ends_on, day)


def has_ended(ends_on: dt.date | None, day: dt.date) -> bool:
    """Whether a spell ending on ``ends_on`` (open when ``None``) ended before ``day``."""
    return ends_on is not None and ends_on < day


def not_ended_by(day: dt.date) -> Combinable:
    """Employment rows whose spell has not ended before ``day`` (current or future jobs)."""
    return Employment.ends_on.is_null() | (Employment.ends_on >= day)


def employed_on(day: dt.date) -> Combinable:
    """Employment rows whose spell covers ``day`` (a Piccolo ``where`` clause)."""
    return (Employment.starts_on <= day) & not_ended_by(day)


def employed_on_sql(alias: str) -> str:
    """The same rule in SQL on the employment table ``alias``; two ``{}`` take the day twice."""
    return f"{alias}.starts_on <= {{}} AND ({alias}.ends_on IS NULL OR {alias}.ends_on >= {{}})"
