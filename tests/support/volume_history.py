"""Disclosure history for the volume alert tests: ledger rows stamped on past days.

The ledger stamps each entry with the real time when it is appended, so a test cannot append a
28-day history. The volume count reads only the ledger table's plain columns (kind, purpose,
recipient, time), so these helpers write rows of that table as the ledger would for a
disclosure, at indexes far above anything the test's own ledger appends, and at the times the
test names. They are for counting only: such a log does not verify (no test here verifies it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from ledger.tables import LedgerEntry
from portal.clock import LONDON

_index = itertools.count(10**12)


def london(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A London wall-clock time on ``day``, as aware UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON).astimezone(dt.UTC)


async def disclosures_at(recipient: str, purpose: str, moments: list[dt.datetime]) -> None:
    """One disclosure row per moment."""
    rows = []
    for moment in moments:
        idx = next(_index)
        rows.append(
            LedgerEntry(
                idx=idx,
                leaf_hash=hashlib.sha256(str(idx).encode()).digest(),
                body=b"{}",
                logged_at=moment,
                kind="disclosure",
                purpose=purpose,
                subject="sub_" + "0" * 32,
                recipient_org=recipient,
                recipient_user="user-hr",
                channel="api",
            )
        )
    for start in range(0, len(rows), 500):
        await LedgerEntry.insert(*rows[start : start + 500])


async def daily(recipient: str, purpose: str, per_day: dict[dt.date, int]) -> None:
    """``per_day[d]`` disclosures at London noon of each day ``d``."""
    await disclosures_at(
        recipient, purpose, [london(d) for d, n in per_day.items() for _ in range(n)]
    )
