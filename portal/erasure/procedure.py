"""Running the erasure plan inside the caller's write transaction, as each engine allows.

PostgreSQL: one call of the owner's ``SECURITY DEFINER`` function ``esp_portal_erase_volunteer``
(created by the erasure migration). The portal's own role holds no DELETE on any append-only
table; EXECUTE on that one function is all it has, and the function does only what its frozen
steps say, for one volunteer at a time.

SQLite has no roles, so there is no one to grant or deny anything to: here the plan's steps run
from :mod:`portal.erasure.plan`. The append-only triggers of the tables the plan changes are
dropped inside the erasure's own ``BEGIN IMMEDIATE`` transaction and re-created from their exact
stored text before it commits. SQLite lets one writer in at a time and DDL is transactional, so no
other connection ever sees the database without its triggers: it sees the state before the
erasure or after it, and a failure rolls the triggers back with everything else.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from piccolo.engine.base import Engine

from portal.db import is_postgres
from portal.erasure.plan import GUARDED, STEPS, for_piccolo
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


async def _lift_triggers() -> list[tuple[str, str]]:
    names = ", ".join("'" + table + "'" for table in sorted(GUARDED))
    rows = await _raw(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
        f"AND tbl_name IN ({names}) ORDER BY name"
    )
    lifted = [
        (row["name"], row["sql"])
        for row in rows
        if "BEFORE UPDATE" in row["sql"].upper() or "BEFORE DELETE" in row["sql"].upper()
    ]
    for name, _ in lifted:
        await _raw(f'DROP TRIGGER "{name}"')
    return lifted


async def _run_on_sqlite(volunteer: str, subject: str, token: str) -> dict[str, int]:
    lifted = await _lift_triggers()
    values = {"V": volunteer, "VT": volunteer, "S": subject, "T": token}
    counts: dict[str, int] = {}
    for step in STEPS:
        sql, args = for_piccolo(step.sqlite, values)
        await _raw(sql, *args)
        changed = await _raw("SELECT changes() AS n")
        counts[step.table] = counts.get(step.table, 0) + int(changed[0]["n"])
    for _, sql in lifted:
        await _raw(sql)
    await _raw(f"INSERT INTO {_NAME_INDEX} ({_NAME_INDEX}) VALUES ('optimize')")  # noqa: S608
    return counts
