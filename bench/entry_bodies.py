"""Realistic disclosure entry bodies for the benchmarks' bulk loaders.

A million entries are loaded straight into the tables (building each through the pydantic model
would measure pydantic, not the ledger), so the bytes are made here from plain values with the
same canonical JSON the sequencer uses, and :func:`check_against_model` proves once per run that
they are exactly what ``DisclosureDraft.entry_bytes`` writes: a verify over bulk-loaded entries
checks the same format as over appended ones.
"""

from __future__ import annotations

from datetime import datetime

from ledger.entries import canonical_json, format_timestamp
from ledger.kinds import DisclosureDraft

FIELDS = ("display_name", "status", "total_hours")


def disclosure_body(
    n: int,
    *,
    subject: str,
    checkpoint_size: int,
    logged_at: datetime,
    purpose: str = "esp.programme-management",
    recipient_org: str = "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10",
    recipient_user: str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
    categories: tuple[str, ...] = ("hours.summary", "identity", "status"),
    agreement: str = "dsa-2026-1",
    channel: str = "api",
) -> bytes:
    """Entry ``n`` (~450 bytes) of a batch that ends at ``checkpoint_size``."""
    return canonical_json(
        {
            "agreement_ids": [agreement],
            "categories": sorted(set(categories)),
            "channel": channel,
            "checkpoint_size": checkpoint_size,
            "consent_ids": [f"consent-{n}"],
            "details": {"fields": list(FIELDS)},
            "index": n,
            "kind": "disclosure",
            "lawful_basis": "consent",
            "purpose": purpose,
            "recipient_org": recipient_org,
            "recipient_user": recipient_user,
            "request_id": f"req-{n:012d}",
            "subject": subject,
            "timestamp": format_timestamp(logged_at),
        }
    )


def check_against_model(logged_at: datetime, **values: str) -> None:
    """Fail the run if the bulk bytes ever drift from what the ledger itself writes."""
    draft = DisclosureDraft(
        purpose=values.get("purpose", "esp.programme-management"),
        lawful_basis="consent",
        subject="sub_check",
        recipient_org=values.get("recipient_org", "3f2b8a52-9d7e-4a37-8c61-2f0b5c7e9a10"),
        recipient_user=values.get("recipient_user", "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"),
        categories=("hours.summary", "identity", "status"),
        consent_ids=("consent-7",),
        agreement_ids=(values.get("agreement", "dsa-2026-1"),),
        request_id=f"req-{7:012d}",
        channel=values.get("channel", "api"),
        details={"fields": list(FIELDS)},
    )
    expected = draft.entry_bytes(7, logged_at, 9)
    made = disclosure_body(7, subject="sub_check", checkpoint_size=9, logged_at=logged_at, **values)
    if made != expected:
        raise SystemExit(f"bulk entry bytes drifted from the model:\n{made!r}\n{expected!r}")
