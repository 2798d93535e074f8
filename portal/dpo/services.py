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
from dataclasses import dataclass, replace
from typing import Any, Literal

import structlog

from ledger.tables import LedgerEntry
from portal.csvcells import ENTRY_CSV_COLUMNS, csv_line, entry_csv_values
from portal.disclosure.gate import DisclosureGate, Recipient
from portal.disclosure.recipient import FORCE_RECIPIENT
from portal.disclosure.schemas import LedgerEntryOut, LedgerPage, RefusalPage
from portal.disclosure.services import ENTRY_COLUMNS, b64, body_of
from portal.disclosure.tables import DisclosureRefusal
from portal.dpo.refusals import refusal_out
from portal.dpo.schemas import SubjectAccessReport
from portal.dpo.subject_access import SubjectAccess
from portal.organisations.tables import Organisation

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
    #: The kind of recipient (employer, police_force, partner, provider, force); resolved to
    #: the organisations of that kind by :func:`resolve_recipient_kind` before searching.
    recipient_kind: str | None = None
    recipient_orgs: tuple[str, ...] | None = None

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
        if self.recipient_orgs is not None:
            # No organisation of that kind: a condition nothing meets (an empty IN is invalid).
            orgs = list(self.recipient_orgs) or [""]
            condition = condition & LedgerEntry.recipient_org.is_in(orgs)
        return condition


async def resolve_recipient_kind(filters: LedgerFilter) -> LedgerFilter:
    """The filter with ``recipient_kind`` turned into the ids entries record as recipient_org:
    the organisations of that kind, or ``force`` for the force itself."""
    if not filters.recipient_kind:
        return filters
    if filters.recipient_kind == FORCE_RECIPIENT:
        return replace(filters, recipient_orgs=(FORCE_RECIPIENT,))
    rows = await Organisation.select(Organisation.id).where(
        Organisation.kind == filters.recipient_kind
    )
    return replace(filters, recipient_orgs=tuple(str(r["id"]) for r in rows))


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


class DpoService:
    def __init__(self, gate: DisclosureGate) -> None:
        self.gate = gate

    async def search(self, filters: LedgerFilter, *, before: int | None, limit: int) -> LedgerPage:
        condition = (await resolve_recipient_kind(filters)).condition()
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
        filters = await resolve_recipient_kind(filters)
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
        self,
        recipient: Recipient,
        identifier: str,
        *,
        request_id: str,
        recipient_kind: str | None = None,
    ) -> SubjectAccessReport:
        """UK GDPR Art. 15 report by volunteer id or subject id; the DPO's look is ledgered
        (``dpo.audit``) before the report is built (``portal.dpo.subject_access``).
        ``recipient_kind``: only the disclosures to recipients of that kind."""
        return await SubjectAccess(self.gate).report(
            recipient, identifier, request_id=request_id, recipient_kind=recipient_kind
        )
