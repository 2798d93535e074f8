"""A person's erasure requests as held, for their subject access report (Art. 15).

A request is data about the person who made it: that they asked, when, in their words, and what
the DPO decided and why. Who recorded or decided it (a staff account) is about someone else and
is left out, as are other people's requests: the rows are chosen by the person's volunteer id.
"""

from __future__ import annotations

from typing import Any

from portal.dbutil import as_date, as_moment
from portal.erasure.requests import GROUNDS
from portal.erasure.tables import ErasureRequest
from portal.ids import parse_id


async def erasure_requests_held(volunteer_id: str) -> list[dict[str, Any]]:
    """The person's requests, oldest first (a reduced request no longer names them: not held)."""
    key = parse_id(volunteer_id)
    if key is None:
        return []
    rows = (
        await ErasureRequest.select(
            ErasureRequest.id,
            ErasureRequest.made_by,
            ErasureRequest.received_on,
            ErasureRequest.due_on,
            ErasureRequest.statement,
            ErasureRequest.status,
            ErasureRequest.ground,
            ErasureRequest.explanation,
            ErasureRequest.decided_at,
            ErasureRequest.told,
        )
        .where(ErasureRequest.volunteer == key)
        .order_by(ErasureRequest.received_index)
    )
    return [
        {
            "id": str(row["id"]),
            "received_on": as_date(row["received_on"]).isoformat(),
            "due_on": as_date(row["due_on"]).isoformat(),
            "made_by": row["made_by"],
            "statement": row["statement"],
            "status": row["status"],
            "decided_at": (as_moment(row["decided_at"]).isoformat() if row["decided_at"] else None),
            "ground": row["ground"],
            "ground_label": GROUNDS.get(row["ground"], ""),
            "explanation": row["explanation"],
            "told": row["told"],
        }
        for row in rows
    ]
