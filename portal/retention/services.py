"""Retention runs: the dry run (recorded and ledgered), and erasure on a DPO's approval.

A dry run applies the schedule to the clock, counts what has passed its time per record kind,
lists the persons due for erasure, and records it all (a ``retention_run`` row, one
``retention_step`` per row kind with its cutoff, and a ``retention.run`` ledger entry with the
counts, ``found``). Nothing is erased.

Approval names a recorded run and an active DPO account. In one write transaction the run is
marked approved, each step's rows go (:mod:`portal.retention.erasing`, the cutoffs recorded by
the dry run, so nothing younger than what the DPO saw), and a second ledger entry records what
went (``erased``). Then each person due is handed to the :class:`PersonEraser`, when one is
wired in. The ledger entries use ``dpo.audit`` (legal obligation): keeping data no longer than
needed is the controller's duty under UK GDPR Art. 5(1)(e), and the DPO oversees it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Literal

import structlog

from ledger import Ledger, RetentionRunDraft
from ledger.entries import Channel
from ledger.kinds import RetentionRunDetails
from portal.accounts.roles import Role
from portal.accounts.tables import UserAccount
from portal.clock import Clock, utcnow
from portal.dbutil import as_date, as_moment, json_value
from portal.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.ledgering import recording
from portal.retention.eraser import PersonEraser
from portal.retention.erasing import ERASERS
from portal.retention.finding import PersonDue, count_rows, leavers, persons_due
from portal.retention.schedule import Handling, Plan, plan
from portal.retention.tables import RetentionRun, RetentionStep
from portal.vocabulary.records import RecordsHeld, records_held

log = structlog.get_logger(__name__)

PURPOSE = "dpo.audit"
LAWFUL_BASIS = "legal_obligation"


@dataclass(frozen=True)
class KindRow:
    """One record kind in a run: its rule, and what went (row kinds) or how it goes."""

    code: str
    label: str
    in_words: str
    reason: str
    handling: Handling
    cutoff: dt.datetime | None
    found: int | None
    erased: int | None


@dataclass(frozen=True)
class RunView:
    id: str
    found_at: dt.datetime
    schedule_version: str
    channel: str
    requested_by: str
    found_index: int | None
    approved_by: str
    approved_at: dt.datetime | None
    erased_index: int | None
    kinds: tuple[KindRow, ...]
    persons_due: tuple[PersonDue, ...]
    persons_erased: int

    @property
    def rows_found(self) -> int:
        return sum(k.found or 0 for k in self.kinds if k.handling == "rows")

    def persons_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for person in self.persons_due:
            counts[person.rule] = counts.get(person.rule, 0) + 1
        return counts


def _counts(found: dict[str, int], persons: list[PersonDue]) -> tuple[str, ...]:
    by_rule: dict[str, int] = {}
    for person in persons:
        by_rule[person.rule] = by_rule.get(person.rule, 0) + 1
    return tuple(
        [f"{code}:{n}" for code, n in found.items()]
        + [f"persons.{rule}:{n}" for rule, n in sorted(by_rule.items())]
    )


def _run_id(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        raise InvalidInput(
            "The run id is not valid",
            errors=[{"field": "run_id", "message": "Enter the id of a retention run"}],
        ) from None


class RetentionService:
    def __init__(
        self,
        ledger: Ledger,
        *,
        clock: Clock = utcnow,
        eraser: PersonEraser | None = None,
        held: RecordsHeld | None = None,
    ) -> None:
        self.ledger = ledger
        self.clock = clock
        self.eraser = eraser
        self.held = held or records_held()

    def schedule(self) -> Plan:
        """The schedule applied to now: each record kind's rule, reason and cutoff."""
        return plan(self.held, self.clock())

    # ------------------------------------------------------------------ dry run

    async def dry_run(
        self, *, requested_by: str, channel: Channel, request_id: str = ""
    ) -> RunView:
        """Find and record what has passed its time; erase nothing."""
        now = self.clock()
        applied = plan(self.held, now)
        everyone = await leavers()
        found = await count_rows(applied, everyone)
        due = persons_due(applied, everyone)
        run_id = str(uuid.uuid4())
        draft = self._draft(run_id, "found", found, due, requested_by, channel, request_id)
        async with recording(self.ledger, "retention.run_failed", run_id=run_id) as tx:
            (receipt,) = await tx.append([draft])
            await RetentionRun.insert(
                RetentionRun(
                    id=run_id,
                    found_at=now,
                    schedule_version=applied.version,
                    channel=channel,
                    requested_by=requested_by,
                    persons_due=[
                        {"volunteer": p.volunteer, "rule": p.rule, "left_on": p.left_on.isoformat()}
                        for p in due
                    ],
                    found_index=receipt.index,
                )
            )
            await RetentionStep.insert(*self._steps(run_id, applied, found))
        log.info("retention.dry_run", run_id=run_id, rows=sum(found.values()), persons=len(due))
        return await self.get(run_id)

    @staticmethod
    def _steps(run_id: str, applied: Plan, found: dict[str, int]) -> list[RetentionStep]:
        return [
            RetentionStep(
                id=uuid.uuid4(),
                run=run_id,
                record_kind=code,
                cutoff=applied.kind(code).cutoff,
                found=count,
            )
            for code, count in found.items()
        ]

    def _draft(
        self,
        run_id: str,
        step: Literal["found", "erased"],
        counts: dict[str, int],
        due: list[PersonDue],
        decided_by: str,
        channel: Channel,
        request_id: str,
    ) -> RetentionRunDraft:
        return RetentionRunDraft(
            purpose=PURPOSE,
            lawful_basis=LAWFUL_BASIS,
            channel=channel,
            request_id=request_id,
            details=RetentionRunDetails(
                run_id=run_id,
                step=step,
                schedule_version=self.held.version,
                counts=_counts(counts, due),
                persons_due=len(due),
                decided_by=decided_by,
            ),
        )

    # ------------------------------------------------------------------ approval

    async def approve(
        self, run_id: str, *, approver: str, channel: Channel, request_id: str = ""
    ) -> RunView:
        """Erase what the run found, on an active DPO's approval; then hand on persons due."""
        key = _run_id(run_id)
        await self._check_approver(approver)
        run = await self.get(key)
        if run.approved_at is not None:
            raise Conflict("This retention run is already approved; start a new dry run")
        now = self.clock()
        if now < run.found_at:
            raise Conflict("This retention run was found later than now; check the clock")
        everyone = await leavers()
        steps = await RetentionStep.select().where(RetentionStep.run == key)
        erased: dict[str, int] = {}
        async with recording(self.ledger, "retention.approve_failed", run_id=key) as tx:
            approved = await (
                RetentionRun.update(
                    {RetentionRun.approved_by: approver, RetentionRun.approved_at: now}
                )
                .where((RetentionRun.id == key) & RetentionRun.approved_at.is_null())
                .returning(RetentionRun.id)
            )
            if not approved:  # approved meanwhile by another DPO
                raise Conflict("This retention run is already approved; start a new dry run")
            for step in steps:
                kind, cutoff = step["record_kind"], as_moment(step["cutoff"])
                gone = await ERASERS[kind](str(step["id"]), cutoff, everyone, now)
                erased[kind] = gone
                await RetentionStep.update(
                    {RetentionStep.erased: gone, RetentionStep.state: "erased"}
                ).where(RetentionStep.id == step["id"])
            draft = self._draft(
                key, "erased", erased, list(run.persons_due), approver, channel, request_id
            )
            (receipt,) = await tx.append([draft])
            await RetentionRun.update({RetentionRun.erased_index: receipt.index}).where(
                RetentionRun.id == key
            )
        log.info("retention.erased", run_id=key, rows=sum(erased.values()))
        await self._erase_persons(key, run.persons_due, approver)
        return await self.get(key)

    async def _check_approver(self, approver: str) -> None:
        try:
            account = uuid.UUID(approver)
        except ValueError:
            raise Forbidden("Only a data protection officer may approve a retention run") from None
        row = (
            await UserAccount.select(UserAccount.role, UserAccount.is_active)
            .where(UserAccount.id == account)
            .first()
        )
        if row is None or row["role"] != Role.DPO.value or not row["is_active"]:
            raise Forbidden("Only an active data protection officer may approve a retention run")

    async def _erase_persons(self, run_id: str, due: tuple[PersonDue, ...], approver: str) -> None:
        if self.eraser is None or not due:
            return
        for done, person in enumerate(due, start=1):
            await self.eraser.erase_person(
                uuid.UUID(person.volunteer),
                reason=f"retention:{person.rule}:{run_id}",
                decided_by=uuid.UUID(approver),
            )
            await RetentionRun.update({RetentionRun.persons_erased: done}).where(
                RetentionRun.id == run_id
            )

    # ------------------------------------------------------------------ reads

    async def get(self, run_id: str) -> RunView:
        key = _run_id(run_id)
        row = await RetentionRun.select().where(RetentionRun.id == key).first()
        if row is None:
            raise NotFound("No retention run has this id")
        steps = {
            s["record_kind"]: s
            for s in await RetentionStep.select().where(RetentionStep.run == key)
        }
        applied = plan(self.held, as_moment(row["found_at"]))
        kinds = tuple(
            KindRow(
                code=k.code,
                label=k.label,
                in_words=k.in_words,
                reason=k.reason,
                handling=k.handling,
                cutoff=as_moment(steps[k.code]["cutoff"]) if k.code in steps else k.cutoff,
                found=int(steps[k.code]["found"]) if k.code in steps else None,
                erased=(
                    int(steps[k.code]["erased"])
                    if k.code in steps and steps[k.code]["erased"] is not None
                    else None
                ),
            )
            for k in applied.kinds
        )
        return RunView(
            id=str(row["id"]),
            found_at=as_moment(row["found_at"]),
            schedule_version=row["schedule_version"],
            channel=row["channel"],
            requested_by=row["requested_by"],
            found_index=row["found_index"],
            approved_by=row["approved_by"],
            approved_at=as_moment(row["approved_at"]) if row["approved_at"] else None,
            erased_index=row["erased_index"],
            kinds=kinds,
            persons_due=tuple(
                PersonDue(p["volunteer"], p["rule"], as_date(p["left_on"]))
                for p in json_value(row["persons_due"])
            ),
            persons_erased=int(row["persons_erased"]),
        )

    async def recent(self, limit: int = 20) -> list[RunView]:
        rows = await (
            RetentionRun.select(RetentionRun.id).order_by(RetentionRun.found_at, ascending=False)
        ).limit(limit)
        return [await self.get(str(r["id"])) for r in rows]
