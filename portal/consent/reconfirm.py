"""Consent given under an older privacy notice, when a later notice changed what its purpose means.

Such a consent still stands for exactly what was agreed (the gate reads the recorded categories,
never the notice's current wording), but the volunteer is told on their next visit and asked to
confirm it again under the current notice, or to withdraw it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from portal.consent.schemas import ConsentCurrent
from portal.vocabulary import Notice, notices


@dataclass(frozen=True)
class Reconfirm:
    """Why one purpose's standing consent needs confirming: agreed under ``agreed_under``, the
    meaning changed in ``changed_in``."""

    agreed_under: str
    changed_in: Notice
    categories: tuple[str, ...]


def needs_confirming(
    purpose: str, given: Iterable[ConsentCurrent], today: dt.date
) -> Reconfirm | None:
    """The standing consents to ``purpose`` that a later notice changed, if any."""
    stale: dict[str, Notice] = {}
    versions: dict[str, str] = {}
    for record in given:
        if record.state != "given":
            continue
        changed = notices().changed_since(record.notice_version, purpose, today)
        if changed is not None:
            stale[record.category] = changed
            versions[record.category] = record.notice_version
    if not stale:
        return None
    first = min(stale, key=lambda c: stale[c].published_on)
    return Reconfirm(versions[first], stale[first], tuple(sorted(stale)))
