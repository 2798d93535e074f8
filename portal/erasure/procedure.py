"""Running the erasure plan inside the caller's write transaction, as each engine allows.

PostgreSQL: one call of the owner's ``SECURITY DEFINER`` function ``esp_portal_erase_volunteer``
(created by the erasure migration). The portal's own role holds no DELETE on any append-only
table; EXECUTE on that one function is all it has, and the function does only what its frozen
steps say, for one volunteer at a time.

SQLite has no roles, so there is no one to grant or deny anything to: here the plan's steps run
from :mod:`portal.erasure.plan`, inside the erasure's own ``BEGIN IMMEDIATE`` transaction. The
append-only triggers of the tables the plan changes stay in place; each lets a change through only
while a marker row naming its table and operation exists in ``append_only_lift`` (the erasure
migration of 2026-12-07T03:30). The erasure inserts the markers its steps need, runs the steps and
deletes the markers before it commits: no other connection ever sees them, a failure rolls them
back with everything else, and a marker left behind makes the commit itself fail (a deferred
foreign key to a table that holds no row). The schema never changes.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from piccolo.engine.base import Engine

from portal.db import is_postgres
from portal.erasure.plan import STEPS, for_piccolo, lifted_by_plan
from portal.erasure.tables import ErasureRecord

#: The FTS5 index of names the SQLite person search reads; merged after an erasure so the
#: deleted name's trigrams leave its segments rather than linger as tombstones.
_NAME_INDEX = "volunteer_name_trigrams"


async def _raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await ErasureRecord.raw(sql, *args)
    return rows


async def run_plan(engine: Engine[Any], volunteer_id: uuid.UUID, subject: str) -> dict[str, int]:
    """Erase the volunteer's rows; the rows changed per table. Must run in a write transaction."""
    token = f"erased-{uuid.uuid4().hex}"
    if is_postgres(engine):
        rows = await _raw(
            "SELECT esp_portal_erase_volunteer({}, {}) AS counts", volunteer_id, token
        )
        counts = rows[0]["counts"]
        return {
            k: int(v)
            for k, v in (json.loads(counts) if isinstance(counts, str) else counts).items()
        }
    return await _run_on_sqlite(str(volunteer_id), subject, token)


#: The marker table of the SQLite append-only triggers (docs/ERASURE.md, "Append-only").
LIFT = "append_only_lift"


async def _lift() -> None:
    """A marker for each table and operation the plan's steps change under a trigger."""
    pairs = lifted_by_plan()
    rows = ", ".join("({}, {})" for _ in pairs)
    await _raw(
        f"INSERT INTO {LIFT} (table_name, operation) VALUES {rows}",  # noqa: S608
        *[value for pair in pairs for value in pair],
    )


async def _unlift() -> None:
    """Delete the markers: at rest the table is empty, so every row here is this erasure's."""
    await _raw(f"DELETE FROM {LIFT}")  # noqa: S608


async def _run_on_sqlite(volunteer: str, subject: str, token: str) -> dict[str, int]:
    await _lift()
    values = {"V": volunteer, "VT": volunteer, "S": subject, "T": token}
    counts: dict[str, int] = {}
    for step in STEPS:
        sql, args = for_piccolo(step.sqlite, values)
        await _raw(sql, *args)
        changed = await _raw("SELECT changes() AS n")
        counts[step.table] = counts.get(step.table, 0) + int(changed[0]["n"])
    await _unlift()
    await _raw(f"INSERT INTO {_NAME_INDEX} ({_NAME_INDEX}) VALUES ('optimize')")  # noqa: S608
    return counts
