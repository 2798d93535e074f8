"""Building the subject access report (UK GDPR Art. 15) for the DPO.

The DPO's look at the person passes the disclosure gate under ``dpo.audit`` first: the person's
name, status, application stage and (when they have any) duty hours and awards are released by
the gate, and the ``dpo.audit`` entry naming those categories is durable before anything else is
read for the report. Then each domain that owns a record kind gives its copy (contact details and
employers, leave, consents, objections, awards, accounts, erasure requests, messages), the ledger
gives every disclosure with a receipt against one signed checkpoint, and the refusal log every
refused attempt.
``portal/vocabulary/records.json`` says, per record kind, why it is held (purposes, hence lawful
bases), from where and for how long.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from ledger import Ledger
from ledger.tables import LedgerEntry
from portal.accounts.subject_access import accounts_held
from portal.applications.services import history_of
from portal.clock import local_date, utcnow
from portal.consent.objections import objections_of
from portal.consent.services import record_out
from portal.consent.tables import ConsentEvent
from portal.disclosure.gate import DPO_AUDIT, DisclosureGate, Recipient, Released
from portal.disclosure.recipient import FORCE_RECIPIENT
from portal.disclosure.services import b64, organisation_names, organisation_refs, signed_head
from portal.disclosure.tables import DisclosureRefusal
from portal.dpo.refusals import refusal_out
from portal.dpo.schemas import (
    DisclosureReceipt,
    HeldCategory,
    PurposeBasis,
    RecipientSummary,
    ReportDisclosure,
    RetentionOut,
    SubjectAccessReport,
)
from portal.erasure.subject_access import erasure_requests_held
from portal.hours.leave import volunteer_requests
from portal.hours.schemas import DutyOut
from portal.hours.subject_access import duties_held, duty_fields
from portal.messages.subject_access import messages_to
from portal.organisations.schemas import VolunteerOut
from portal.organisations.services import OrganisationService
from portal.organisations.subjects import volunteer_of
from portal.receipts import ReceiptOut
from portal.recognition.services import RecognitionService
from portal.vocabulary.records import RecordKind, records_held

log = structlog.get_logger(__name__)

FORCE_NAME = "The force"

_DISCLOSURE_COLUMNS = (
    LedgerEntry.idx,
    LedgerEntry.leaf_hash,
    LedgerEntry.body,
    LedgerEntry.purpose,
    LedgerEntry.recipient_org,
    LedgerEntry.recipient_user,
    LedgerEntry.channel,
)


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def _category(record: RecordKind, items: list[dict[str, Any]]) -> HeldCategory:
    held = records_held()
    return HeldCategory(
        code=record.code,
        label=record.label,
        description=record.text,
        shared_as=list(record.shared_as),
        purposes=[
            PurposeBasis(
                code=p.code, label=p.label, lawful_basis=p.lawful_basis.value, article=p.article
            )
            for p in held.purposes_of(record)
        ],
        retention=RetentionOut(
            period=record.retention.period,
            counted_from=record.retention.counted_from,
            in_words=held.retention_in_words(record),
            reason=record.retention.reason,
        ),
        source=record.source,
        items=items,
    )


def _duty_item(duty: DutyOut) -> dict[str, Any]:
    return duty.model_dump(exclude={"volunteer_id"})


def _leave_items(
    volunteer_requests: Sequence[Any], names: Mapping[str, str]
) -> list[dict[str, Any]]:
    items = []
    for request in volunteer_requests:
        row = request.model_dump(exclude={"volunteer_id", "history"})
        row["employer"] = names.get(request.employer_id, request.employer_id)
        row["history"] = "; ".join(
            f"{e.occurred_at} {e.event} ({e.actor_role or 'system'})"
            + (f": {e.reason}" if e.reason else "")
            for e in request.history
        )
        items.append(row)
    return items


def _disclosure(
    row: Mapping[str, Any],
    proof_path: list[str],
    tree_size: int,
    refs: Mapping[str, tuple[str, str]],
) -> ReportDisclosure:
    body = json.loads(bytes(row["body"]))
    org = str(row["recipient_org"])
    index = int(row["idx"])
    name, kind = refs.get(org, (org, "unknown"))
    return ReportDisclosure(
        index=index,
        logged_at=str(body.get("timestamp", "")),
        purpose=str(row["purpose"]),
        lawful_basis=str(body.get("lawful_basis", "")),
        recipient_org=org,
        recipient_name=name,
        recipient_kind=kind,
        recipient_user=str(row["recipient_user"]),
        categories=list(body.get("categories", [])),
        consent_ids=list(body.get("consent_ids", [])),
        agreement_ids=list(body.get("agreement_ids", [])),
        request_id=str(body.get("request_id", "")),
        channel=str(row["channel"]),
        receipt=DisclosureReceipt(
            index=index,
            leaf_hash=b64(bytes(row["leaf_hash"])),
            tree_size=tree_size,
            inclusion_path=proof_path,
        ),
    )


def recipients_of(disclosures: Sequence[ReportDisclosure]) -> list[RecipientSummary]:
    """One line per recipient organisation: purposes, categories, count, first and last time."""
    seen: dict[str, dict[str, Any]] = {}
    for d in disclosures:  # newest first
        one = seen.setdefault(
            d["recipient_org"],
            {
                "name": d["recipient_name"],
                "kind": d["recipient_kind"],
                "purposes": set(),
                "categories": set(),
                "n": 0,
                "first": d["logged_at"],
                "last": d["logged_at"],
            },
        )
        one["purposes"].add(d["purpose"])
        one["categories"].update(d["categories"])
        one["n"] += 1
        one["first"] = d["logged_at"]
    return [
        RecipientSummary(
            recipient_org=org,
            name=v["name"],
            recipient_kind=v["kind"],
            purposes=sorted(v["purposes"]),
            categories=sorted(v["categories"]),
            disclosures=v["n"],
            first_at=v["first"],
            last_at=v["last"],
        )
        for org, v in seen.items()
    ]


class SubjectAccess:
    """Produces one person's report; the gate records the DPO's look before anything is read."""

    def __init__(self, gate: DisclosureGate) -> None:
        self.gate = gate

    @property
    def ledger(self) -> Ledger:
        return self.gate.ledger

    async def _audit(
        self, recipient: Recipient, identifier: str, request_id: str
    ) -> tuple[Released, list[DutyOut]]:
        volunteer_id = await volunteer_of(identifier)
        duties = await duties_held(volunteer_id)
        fields = duty_fields(duties)
        # Every source registered for the force (awards, milestones…), plus all duty records:
        # the hours sources serve employers a year to date, the report holds every duty.
        registered = self.gate.sources.provider_for(recipient, local_date(utcnow()))

        async def provide(
            subjects: Sequence[tuple[str, tuple[str, ...]]],
        ) -> Mapping[str, Mapping[str, Any]]:
            merged: dict[str, dict[str, Any]] = {v: dict(fields) for v, _categories in subjects}
            if registered is not None:
                for volunteer, values in (await registered(subjects)).items():
                    merged.setdefault(volunteer, {}).update(values)
            return merged

        released = await self.gate.disclose_to_force(
            recipient, volunteer_id, request_id=request_id, purpose_code=DPO_AUDIT, provider=provide
        )
        return released, duties

    async def _disclosures(
        self, subject: str, recipient_kind: str | None
    ) -> tuple[list[ReportDisclosure], str, int]:
        """The person's disclosures (only to recipients of ``recipient_kind``, when given)."""
        head = await signed_head(self.ledger)
        rows = await (
            LedgerEntry.select(*_DISCLOSURE_COLUMNS)
            .where(
                (LedgerEntry.subject == subject)
                & (LedgerEntry.kind == "disclosure")
                & (LedgerEntry.idx < head.size)
            )
            .order_by(LedgerEntry.idx, ascending=False)
        )
        refs = await organisation_refs(sorted({str(r["recipient_org"]) for r in rows}))
        refs[FORCE_RECIPIENT] = (FORCE_NAME, FORCE_RECIPIENT)
        if recipient_kind is not None:
            rows = [
                r for r in rows if refs.get(str(r["recipient_org"]), ("", ""))[1] == recipient_kind
            ]
        paths = await self.ledger.inclusion_paths(
            [int(r["idx"]) for r in rows], head.size, encode=_b64
        )
        disclosures = [
            _disclosure(row, path, head.size, refs) for row, path in zip(rows, paths, strict=True)
        ]
        return disclosures, head.note, head.size

    async def report(
        self,
        recipient: Recipient,
        identifier: str,
        *,
        request_id: str,
        recipient_kind: str | None = None,
    ) -> SubjectAccessReport:
        """The report; ``recipient_kind`` keeps only recipients and disclosures of that kind
        (employer, police_force, partner, provider, force), everything else held unchanged."""
        released, duties = await self._audit(recipient, identifier, request_id)
        volunteer_id, subject = released.volunteer_id, released.subject
        person = await OrganisationService().get_volunteer(volunteer_id)
        disclosures, checkpoint, tree_size = await self._disclosures(subject, recipient_kind)
        consent_rows = await (
            ConsentEvent.select()
            .where(ConsentEvent.volunteer == volunteer_id)
            .order_by(ConsentEvent.ledger_index, ascending=False)
        )
        refusal_rows = await (
            DisclosureRefusal.select()
            .where(DisclosureRefusal.subject == subject)
            .order_by(DisclosureRefusal.occurred_at, ascending=False)
        )
        leave = await volunteer_requests(volunteer_id)
        employers = await organisation_names(
            [e.employer_id for e in person.employments]
            + [str(r["employer"]) for r in consent_rows]
            + [r.employer_id for r in leave]
        )
        items = {
            **self._record_items(released, person, employers),
            "duties": [_duty_item(d) for d in duties],
            "application": await _application_items(released),
            "recognition": [
                a.model_dump(mode="json", exclude={"volunteer_id"})
                for a in (await RecognitionService().awards_of(volunteer_id)).items
            ],
            "leave": _leave_items(leave, employers),
            "consents": [
                {
                    **record_out(r).model_dump(mode="json"),
                    "employer": employers.get(str(r["employer"]), str(r["employer"])),
                }
                for r in consent_rows
            ],
            "objections": [
                {
                    "id": o.id,
                    "purpose": o.purpose,
                    "reasons": o.reasons,
                    "raised_at": o.raised_at.isoformat(),
                    "outcome": o.outcome or "undecided",
                    "decision_reasons": o.decision_reasons,
                    "decided_at": o.decided_at.isoformat() if o.decided_at else None,
                    "ledger_index": o.ledger_index,
                }
                for o in await objections_of(volunteer_id)
            ],
            "accounts": await accounts_held(volunteer_id),
            "erasure-requests": await erasure_requests_held(volunteer_id),
            "messages": await messages_to([person.email, person.phone or ""]),
            "disclosures": [_count(disclosures, "disclosures", lambda d: d["logged_at"])],
            "refusals": [],
        }
        refusals = [refusal_out(r) for r in refusal_rows]
        items["refusals"] = [_count(refusals, "refusals", lambda r: r.occurred_at.isoformat())]
        log.info(
            "dpo.subject_report",
            volunteer_id=volunteer_id,
            disclosures=len(disclosures),
            consent_events=len(consent_rows),
            refusals=len(refusals),
        )
        # Every part is built above from typed values; validating ten thousand disclosures again
        # would double the report's time (bench/art15_bench.py).
        return SubjectAccessReport.model_construct(
            volunteer_id=volunteer_id,
            subject=subject,
            generated_at=utcnow(),
            audit_receipt=ReceiptOut.of(released.receipt),
            checkpoint=checkpoint,
            tree_size=tree_size,
            categories=[_category(r, items.get(r.code, [])) for r in records_held().records],
            recipients=recipients_of(disclosures),
            disclosures=disclosures,
            refusals=refusals,
            recipient_kind=recipient_kind,
        )

    @staticmethod
    def _record_items(
        released: Released, person: VolunteerOut, employers: Mapping[str, str]
    ) -> dict[str, list[dict[str, Any]]]:
        data = released.data
        return {
            "identity": [
                {
                    "display_name": data.get("display_name"),
                    "subject": released.subject,
                    "volunteer_id": released.volunteer_id,
                    "created_at": person.created_at.isoformat(),
                }
            ],
            "contact": [
                {
                    "email": person.email,
                    "phone": person.phone,
                    "contact_by_email": person.contact_by_email,
                    "contact_by_sms": person.contact_by_sms,
                    "contact_by_phone": person.contact_by_phone,
                }
            ],
            "status": [{"status": data.get("status")}],
            "employment": [
                {
                    "id": e.id,
                    "employer": employers.get(e.employer_id, e.employer_id),
                    "employer_id": e.employer_id,
                    "starts_on": e.starts_on.isoformat(),
                    "ends_on": e.ends_on.isoformat() if e.ends_on else None,
                }
                for e in person.employments
            ],
        }


async def _application_items(released: Released) -> list[dict[str, Any]]:
    """The stage derived from the status, and every milestone as held (outcomes included: the
    force holds them; only a recipient sees vetting and medical as in progress or complete)."""
    history = await history_of([released.volunteer_id])
    return [
        {
            "application_stage": released.data.get("application_stage"),
            "milestones": "; ".join(
                f"{row['stage']} {row['outcome']} on {row['occurred_on']}" for row in history
            )
            or None,
        }
    ]


def _count(rows: Sequence[Any], name: str, when: Any) -> dict[str, Any]:
    """A summary item for a record kind listed in its own section of the report."""
    moments = [when(r) for r in rows]
    return {
        name: len(rows),
        "first_at": min(moments) if moments else None,
        "last_at": max(moments) if moments else None,
    }


__all__ = ["SubjectAccess", "recipients_of"]
