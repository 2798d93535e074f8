"""Erasures reach backups by being replayed: after a restore, every recorded erasure is done again.

A backup taken before someone was erased still holds them. The erasure records (which hold no
personal data: a digest of the volunteer id, when, why, by whose decision) are read from the
database about to be replaced, and once the older database is back, each is replayed: the
volunteer whose id has that digest, if the restored database has one, is erased again (a new
``erasure.recorded`` entry, a new record saying which record it repeats). A record whose person
the backup never held is carried over all the same (with a ledger entry and nothing erased), so
the list survives the next restore too.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from ledger import ErasureRecordedDraft, Ledger
from ledger.kinds import ErasureDetails
from portal.clock import utcnow
from portal.db import build_engine, close_engine, open_engine
from portal.erasure.plan import volunteer_digest
from portal.erasure.service import SYSTEM, erase_person
from portal.erasure.tables import ErasureRecord
from portal.ledgering import recording
from portal.organisations.tables import Volunteer

#: The fields of a record that travel: nothing else is needed to replay it.
FIELDS = ("id", "volunteer_digest", "reason", "decided_by", "erased_at")


@dataclass(frozen=True)
class ReplayReport:
    erased_again: int
    carried_over: int
    already_present: int


def _portable(row: dict[str, Any]) -> dict[str, str]:
    return {name: str(row[name]) for name in FIELDS}


async def recorded_erasures() -> list[dict[str, str]]:
    """Every erasure record of the bound database, oldest first, as portable fields."""
    rows = await ErasureRecord.select().order_by(ErasureRecord.erased_at)
    return [_portable(row) for row in rows]


async def recorded_erasures_at(database_url: str) -> list[dict[str, str]]:
    """The records of another database (the one a restore is about to replace); [] when it has
    no erasure table (older than erasure) or no database at all."""
    engine = build_engine(database_url)
    await open_engine(engine)
    try:
        exists = await _has_records_table(engine)
        if not exists:
            return []
        rows = await engine.run_ddl(
            "SELECT id, volunteer_digest, reason, decided_by, erased_at FROM erasure_record "
            "ORDER BY erased_at"
        )
        return [_portable(dict(row)) for row in rows]
    finally:
        await close_engine(engine)


async def _has_records_table(engine: Any) -> bool:
    if engine.engine_type == "sqlite":
        found = await engine.run_ddl(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'erasure_record'"
        )
    else:
        found = await engine.run_ddl("SELECT 1 FROM pg_tables WHERE tablename = 'erasure_record'")
    return bool(found)


async def _volunteers_by_digest() -> dict[str, uuid.UUID]:
    rows = await Volunteer.select(Volunteer.id)
    return {volunteer_digest(str(row["id"])): uuid.UUID(str(row["id"])) for row in rows}


def _decider(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _carry_over(ledger: Ledger, record: dict[str, str]) -> None:
    erasure_id = str(uuid.uuid4())
    draft = ErasureRecordedDraft(
        channel="cli",
        details=ErasureDetails(erasure_id=erasure_id, decided_by=record["decided_by"] or SYSTEM),
    )
    async with recording(ledger, "erasure.replay_failed", erasure_id=erasure_id) as tx:
        (receipt,) = await tx.append([draft])
        await ErasureRecord.insert(
            ErasureRecord(
                id=uuid.UUID(erasure_id),
                volunteer_digest=record["volunteer_digest"],
                reason=record["reason"],
                decided_by=record["decided_by"],
                erased_at=utcnow(),
                erased={},
                ledger_index=receipt.index,
                replay_of=record["id"],
            )
        )


async def replay(records: list[dict[str, str]], ledger: Ledger) -> ReplayReport:
    """Do every recorded erasure the bound database has not had (see the module docstring)."""
    present = {r["volunteer_digest"] for r in await recorded_erasures()}
    people = await _volunteers_by_digest()
    erased = carried = already = 0
    for record in records:
        if record["volunteer_digest"] in present:
            already += 1
            continue
        volunteer = people.get(record["volunteer_digest"])
        if volunteer is None:
            await _carry_over(ledger, record)
            carried += 1
        else:
            await erase_person(
                volunteer,
                reason=record["reason"],
                decided_by=_decider(record["decided_by"]),
                ledger=ledger,
                channel="cli",
                replay_of=record["id"],
            )
            erased += 1
        present.add(record["volunteer_digest"])
    return ReplayReport(erased, carried, already)


def dumps(records: list[dict[str, str]]) -> str:
    """The portable list as JSON Lines (what ``esp-portal erasure export`` writes)."""
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)


def loads(text: str) -> list[dict[str, str]]:
    """Parse an exported list; ValueError naming the line when one is not a record."""
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise ValueError(f"line {number} is not JSON") from None
        if not isinstance(record, dict) or any(not isinstance(record.get(f), str) for f in FIELDS):
            raise ValueError(f"line {number} is not an erasure record (needs {', '.join(FIELDS)})")
        if len(record["volunteer_digest"]) != 64:
            raise ValueError(f"line {number}: volunteer_digest is not a SHA-256 digest")
        records.append({f: record[f] for f in FIELDS})
    return records
