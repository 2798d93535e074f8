"""How many consents stand on each privacy-notice version: what the DPO checks after publishing a
new notice (how many volunteers still have to confirm again)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.consent.tables import ConsentEvent, ConsentState
from portal.vocabulary import notices


@dataclass(frozen=True)
class VersionCount:
    version: str
    title: str
    #: Consents (volunteer x employer x purpose x category) whose latest event is a ``given``
    #: recorded under this version and not yet expired.
    consents: int
    volunteers: int
    current: bool


async def standing_by_version(now: dt.datetime, today: dt.date) -> list[VersionCount]:
    """Every notice version, newest first, with the consents that stand on it now."""
    rows = await ConsentEvent.select(
        ConsentEvent.volunteer,
        ConsentEvent.employer,
        ConsentEvent.purpose,
        ConsentEvent.category,
        ConsentEvent.state,
        ConsentEvent.notice_version,
        ConsentEvent.expires_at,
    ).order_by(ConsentEvent.ledger_index)
    latest: dict[tuple[str, str, str, str], dict[str, object]] = {}
    for row in rows:
        key = (str(row["volunteer"]), str(row["employer"]), row["purpose"], row["category"])
        latest[key] = row
    consents: dict[str, int] = {}
    volunteers: dict[str, set[str]] = {}
    for (volunteer, *_), row in latest.items():
        expires = row["expires_at"]
        if row["state"] != ConsentState.GIVEN.value:
            continue
        if isinstance(expires, dt.datetime) and expires <= now:
            continue
        version = str(row["notice_version"])
        consents[version] = consents.get(version, 0) + 1
        volunteers.setdefault(version, set()).add(volunteer)
    current = notices().current(today).version
    return [
        VersionCount(
            version=n.version,
            title=n.title,
            consents=consents.get(n.version, 0),
            volunteers=len(volunteers.get(n.version, ())),
            current=n.version == current,
        )
        for n in reversed(notices().notices)
        if n.published_on <= today or n.version == current
    ]
