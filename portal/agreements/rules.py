"""Agreement in force": the one definition, for the gate and the agreement pages alike.

An employer's agreement has versions. The version that applies on a (London) day is the highest
version whose ``starts_on`` has come; it is *in force* while ``day <= ends_on`` and *ended* after.
A version that starts later is *scheduled*; an older started one is *superseded*. The gate asks
"in force?" before releasing anything, and the employer pages pick the purposes they offer with the
same functions, so the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

#: What an agreement is called, by the kind of organisation it is with: an employer signs a data
#: sharing agreement, another police force an information sharing agreement, and a partner that
#: processes applications for the force a processing contract. One table holds them all; the
#: gate applies the same rule to each.
AGREEMENT_KINDS: dict[str, str] = {
    "employer": "data_sharing_agreement",
    "police_force": "information_sharing_agreement",
    "partner": "processing_contract",
}

#: The version that applies on a day, in SQL: two ``{}`` take the employer and the day.
CURRENT_VERSION_SQL = (
    "SELECT id, version, purposes, starts_on, ends_on FROM data_sharing_agreement "
    "WHERE employer = {} AND starts_on <= {} ORDER BY version DESC LIMIT 1"
)


def in_force(starts_on: dt.date, ends_on: dt.date, day: dt.date) -> bool:
    """Whether a version running from ``starts_on`` to ``ends_on`` is in force on ``day``."""
    return starts_on <= day <= ends_on


def current_version(rows: Sequence[Mapping[str, Any]], day: dt.date) -> Mapping[str, Any] | None:
    """The version that applies on ``day``: the highest version that has started."""
    started = [r for r in rows if r["starts_on"] <= day]
    return max(started, key=lambda r: r["version"]) if started else None


def states(rows: Sequence[Mapping[str, Any]], day: dt.date) -> dict[str, str]:
    """The state of each version of one employer's agreement on ``day``, by id."""
    current = current_version(rows, day)
    result = {}
    for row in rows:
        key = str(row["id"])
        if row["starts_on"] > day:
            result[key] = "scheduled"
        elif current is not None and row["id"] == current["id"]:
            result[key] = "in_force" if in_force(row["starts_on"], row["ends_on"], day) else "ended"
        else:
            result[key] = "superseded"
    return result
