"""A refused attempt as the DPO's pages, refusal search and subject reports show it."""

from __future__ import annotations

from typing import Any

from portal.dbutil import json_value
from portal.disclosure.schemas import RefusalOut


def refusal_out(row: dict[str, Any]) -> RefusalOut:
    categories = json_value(row["categories"])
    return RefusalOut(
        id=str(row["id"]),
        occurred_at=row["occurred_at"],
        reason=row["reason"],
        purpose=row["purpose"],
        subject=row["subject"],
        requested_id=row["requested_id"],
        recipient_org=row["recipient_org"],
        recipient_user=row["recipient_user"],
        categories=[str(c) for c in categories or []],
        channel=row["channel"],
        request_id=row["request_id"],
    )
