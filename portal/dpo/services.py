"""The DPO's view: ledger search and export, refusals, subject reports, agreements ending.

Search and export read the indexed columns of ``ledger_entry`` (subject pseudonyms, organisation
and user ids, purposes, kinds: no names). A subject report shows a volunteer's identity, so it
passes the disclosure gate under ``dpo.audit`` and is itself ledgered before it is produced.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from litestar.serialization import decode_json

from ledger.tables import LedgerEntry
from portal.clock import utcnow
from portal.consent.services import record_out
from portal.consent.tables import ConsentEvent
from portal.csvcells import ENTRY_CSV_COLUMNS, csv_line, entry_csv_values
from portal.dbutil import json_value
from portal.disclosure.gate import DPO_AUDIT, DisclosureGate, Recipient
from portal.disclosure.schemas import (
    LedgerEntryOut,
    LedgerPage,
    RefusalOut,
    RefusalPage,
)
from portal.disclosure.services import ENTRY_COLUMNS, b64, body_of
from portal.disclosure.tables import DisclosureRefusal
from portal.organisations.subjects import volunteer_of

log = structlog.get_logger(__name__)

EXPORT_PAGE = 1000


@dataclass(frozen=True)
class LedgerFilter:
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    subject: str | None = None
    recipient: str | None = None
    purpose: str | None = None
    kind: str | None = None

    def condition(self) -> Any:
        condition: Any = LedgerEntry.idx >= 0
        if self.since is not None:
            condition = condition & (LedgerEntry.logged_at >= self.since)
        if self.until is not None:
            condition = condition & (LedgerEntry.logged_at < self.until)
        if self.subject:
            condition = condition & (LedgerEntry.subject == self.subject)
        if self.recipient:
            condition = condition & (
                (LedgerEntry.recipient_org == self.recipient)
                | (LedgerEntry.recipient_user == self.recipient)
            )
        if self.purpose:
            condition = condition & (LedgerEntry.purpose == self.purpose)
        if self.kind:
            condition = condition & (LedgerEntry.kind == self.kind)
        return condition


def entry_out(row: dict[str, Any]) -> LedgerEntryOut:
    body = body_of(row)
    return LedgerEntryOut(
        index=int(row["idx"]),
        logged_at=str(body.get("timestamp", "")),
        kind=row["kind"],
        purpose=row["purpose"],
        subject=row["subject"],
        recipient_org=row["recipient_org"],
        recipient_user=row["recipient_user"],
        channel=row["channel"],
        leaf_hash=b64(bytes(row["leaf_hash"])),
        entry=body,
    )


def _csv_row(row: dict[str, Any]) -> str:
    body = body_of(row)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        entry_csv_values(body, b64(bytes(row["leaf_hash"])))
    )
    return buffer.getvalue()


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


class DpoService:
    def __init__(self, gate: DisclosureGate) -> None:
        self.gate = gate

    async def search(self, filters: LedgerFilter, *, before: int | None, limit: int) -> LedgerPage:
        condition = filters.condition()
        if before is not None:
            condition = condition & (LedgerEntry.idx < before)
        rows = await (
            LedgerEntry.select(*ENTRY_COLUMNS)
            .where(condition)
            .order_by(LedgerEntry.idx, ascending=False)
            .limit(limit + 1)
        )
        more = len(rows) > limit
        items = [entry_out(r) for r in rows[:limit]]
        return LedgerPage(
            items=items, next_cursor=items[-1].index if more and items else None, limit=limit
        )

    async def export(
        self, filters: LedgerFilter, fmt: Literal["csv", "jsonl"]
    ) -> AsyncIterator[str]:
        """Matching entries, oldest first, a page at a time (never the whole log in memory)."""
        if fmt == "csv":
            yield csv_line(ENTRY_CSV_COLUMNS)
        after = -1
        count = 0
        while True:
            rows = await (
                LedgerEntry.select(*ENTRY_COLUMNS)
                .where(filters.condition() & (LedgerEntry.idx > after))
                .order_by(LedgerEntry.idx)
                .limit(EXPORT_PAGE)
            )
            chunk = []
            for row in rows:
                if fmt == "csv":
                    chunk.append(_csv_row(row))
                else:
                    chunk.append(
                        json.dumps(
                            {
                                "index": int(row["idx"]),
                                "entry": body_of(row),
                                "leaf_hash": b64(bytes(row["leaf_hash"])),
                            },
                            ensure_ascii=False,
                            separators=(",", ":"),
                        )
                        + "\n"
                    )
            count += len(rows)
            if chunk:
                yield "".join(chunk)
            if len(rows) < EXPORT_PAGE:
                break
            after = int(rows[-1]["idx"])
        log.info("dpo.ledger_exported", entries=count, format=fmt)

    async def refusals(
        self,
        *,
        since: dt.datetime | None,
        until: dt.datetime | None,
        reason: str | None,
        recipient: str | None,
        limit: int,
        offset: int,
    ) -> RefusalPage:
        condition: Any = DisclosureRefusal.occurred_at.is_not_null()
        if since is not None:
            condition = condition & (DisclosureRefusal.occurred_at >= since)
        if until is not None:
            condition = condition & (DisclosureRefusal.occurred_at < until)
        if reason:
            condition = condition & (DisclosureRefusal.reason == reason)
        if recipient:
            condition = condition & (
                (DisclosureRefusal.recipient_org == recipient)
                | (DisclosureRefusal.recipient_user == recipient)
            )
        total = await DisclosureRefusal.count().where(condition)
        rows = await (
            DisclosureRefusal.select()
            .where(condition)
            .order_by(DisclosureRefusal.occurred_at, ascending=False)
            .limit(limit)
            .offset(offset)
        )
        return RefusalPage(
            items=[refusal_out(r) for r in rows], total=total, limit=limit, offset=offset
        )

    async def subject_report(
        self, recipient: Recipient, volunteer_id: str, *, request_id: str
    ) -> dict[str, Any]:
        """UK GDPR Art. 15 report; the DPO's read is ledgered (``dpo.audit``) before it is built.

        Returned as plain JSON values shaped as :class:`SubjectReport` (tens of thousands of
        disclosures are encoded once, without a model per row).
        """
        released = await self.gate.disclose_to_force(
            recipient,
            await volunteer_of(volunteer_id),
            request_id=request_id,
            purpose_code=DPO_AUDIT,
            categories=("identity", "status"),
        )
        disclosures = await (
            LedgerEntry.select(
                LedgerEntry.idx,
                LedgerEntry.leaf_hash,
                LedgerEntry.body,
                LedgerEntry.purpose,
                LedgerEntry.recipient_org,
                LedgerEntry.recipient_user,
                LedgerEntry.channel,
            )
            .where((LedgerEntry.subject == released.subject) & (LedgerEntry.kind == "disclosure"))
            .order_by(LedgerEntry.idx, ascending=False)
        )
        consents = await (
            ConsentEvent.select()
            .where(ConsentEvent.volunteer == released.volunteer_id)
            .order_by(ConsentEvent.ledger_index, ascending=False)
        )
        refusals = await (
            DisclosureRefusal.select()
            .where(DisclosureRefusal.subject == released.subject)
            .order_by(DisclosureRefusal.occurred_at, ascending=False)
        )
        log.info(
            "dpo.subject_report",
            volunteer_id=released.volunteer_id,
            disclosures=len(disclosures),
            consent_events=len(consents),
            refusals=len(refusals),
        )
        return {
            "volunteer_id": released.volunteer_id,
            "subject": released.subject,
            "generated_at": utcnow(),
            "identity": released.data,
            "audit_receipt": released.receipt.to_json(),
            "disclosures": [_report_disclosure(r) for r in disclosures],
            "consent_events": [record_out(r).model_dump() for r in consents],
            "refusals": [refusal_out(r).model_dump() for r in refusals],
        }


def _report_disclosure(row: dict[str, Any]) -> dict[str, Any]:
    body = decode_json(bytes(row["body"]))
    return {
        "index": int(row["idx"]),
        "logged_at": body.get("timestamp", ""),
        "purpose": row["purpose"],
        "lawful_basis": body.get("lawful_basis", ""),
        "recipient_org": row["recipient_org"],
        "recipient_user": row["recipient_user"],
        "categories": body.get("categories", []),
        "consent_ids": body.get("consent_ids", []),
        "agreement_ids": body.get("agreement_ids", []),
        "request_id": body.get("request_id", ""),
        "channel": row["channel"],
        "leaf_hash": b64(bytes(row["leaf_hash"])),
    }


REPORT_CSV_COLUMNS = (
    "record",
    "id_or_index",
    "time",
    "what",
    "purpose",
    "recipient_org",
    "recipient_user",
    "categories",
    "relied_on",
)


def report_csv(report: dict[str, Any]) -> str:
    lines = [csv_line(REPORT_CSV_COLUMNS)]
    volunteer_id = report["volunteer_id"]
    for name, value in sorted(report["identity"].items()):
        lines.append(csv_line(["identity", volunteer_id, "", name, "", "", "", "", value]))
    for d in report["disclosures"]:
        lines.append(
            csv_line(
                [
                    "disclosure",
                    d["index"],
                    d["logged_at"],
                    d["lawful_basis"],
                    d["purpose"],
                    d["recipient_org"],
                    d["recipient_user"],
                    d["categories"],
                    [*d["consent_ids"], *d["agreement_ids"]],
                ]
            )
        )
    for c in report["consent_events"]:
        lines.append(
            csv_line(
                [
                    "consent",
                    c["id"],
                    c["recorded_at"].isoformat(),
                    c["state"],
                    c["purpose"],
                    c["employer_id"],
                    "",
                    [c["category"]],
                    f"notice {c['notice_version']}; ledger {c['ledger_index']}",
                ]
            )
        )
    for r in report["refusals"]:
        lines.append(
            csv_line(
                [
                    "refusal",
                    r["id"],
                    r["occurred_at"].isoformat(),
                    r["reason"],
                    r["purpose"],
                    r["recipient_org"],
                    r["recipient_user"],
                    r["categories"],
                    "",
                ]
            )
        )
    return "".join(lines)
