"""What the ledger holds about a volunteer, shown to that volunteer, with verifiable receipts.

A volunteer reading the record of their own disclosures is not a disclosure (they are the
subject), so this does not pass the gate. Receipts are built against the latest signed checkpoint
from stored nodes (O(log n) reads per entry).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ledger import Ledger, LedgerNotFoundError
from ledger.checkpoint import Checkpoint
from ledger.tables import LedgerEntry
from ledger.witnessing import CosignatureStore, with_cosignatures
from portal.accounts.tables import UserAccount
from portal.auth.identity import Identity
from portal.clock import utcnow
from portal.disclosure.bundle import FORMAT, HOW_TO_VERIFY
from portal.disclosure.schemas import (
    BundleEntry,
    DisclosureOut,
    DisclosurePage,
    EvidenceBundle,
)
from portal.errors import Forbidden
from portal.ids import parse_id
from portal.organisations.tables import Organisation, Volunteer
from portal.receipts import ReceiptOut
from portal.vocabulary import vocabulary

log = structlog.get_logger(__name__)

ENTRY_COLUMNS = (
    LedgerEntry.idx,
    LedgerEntry.leaf_hash,
    LedgerEntry.body,
    LedgerEntry.logged_at,
    LedgerEntry.kind,
    LedgerEntry.purpose,
    LedgerEntry.subject,
    LedgerEntry.recipient_org,
    LedgerEntry.recipient_user,
    LedgerEntry.channel,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def body_of(row: dict[str, Any]) -> dict[str, Any]:
    value = json.loads(bytes(row["body"]))
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class SignedHead:
    note: str
    size: int


async def signed_head(ledger: Ledger) -> SignedHead:
    note = await ledger.latest_checkpoint()
    text = note.split("\n\n", 1)[0] + "\n"
    return SignedHead(note=note, size=Checkpoint.parse(text).size)


async def receipt_for(ledger: Ledger, index: int, head: SignedHead) -> ReceiptOut:
    proof = await ledger.inclusion_proof(index, head.size)
    return ReceiptOut.from_proof(proof, head.note)


async def organisation_names(ids: Sequence[str]) -> dict[str, str]:
    return {key: name for key, (name, _kind) in (await organisation_refs(ids)).items()}


async def organisation_refs(ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each organisation's name and kind (employer, police_force, partner, provider), by id."""
    keys = sorted({k for k in (parse_id(i) for i in ids) if k})
    if not keys:
        return {}
    rows = await Organisation.select(Organisation.id, Organisation.name, Organisation.kind).where(
        Organisation.id.is_in(keys)
    )
    return {str(r["id"]): (r["name"], r["kind"]) for r in rows}


def recipient_kind(recipient_org: str, refs: dict[str, tuple[str, str]]) -> str:
    """The kind of a ledger entry's recipient: an organisation's kind, or ``force`` itself."""
    found = refs.get(recipient_org)
    return found[1] if found else "force" if recipient_org == "force" else "unknown"


async def user_emails(ids: Sequence[str]) -> dict[str, str]:
    keys = sorted({k for k in (parse_id(i) for i in ids) if k})
    if not keys:
        return {}
    rows = await UserAccount.select(UserAccount.id, UserAccount.email).where(
        UserAccount.id.is_in(keys)
    )
    return {str(r["id"]): r["email"] for r in rows}


class VolunteerLedgerService:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    @staticmethod
    async def _subject(identity: Identity) -> str:
        if not identity.volunteer_id:
            raise Forbidden("This account is not linked to a volunteer record")
        row = (
            await Volunteer.select(Volunteer.subject)
            .where(Volunteer.id == identity.volunteer_id)
            .first()
        )
        if row is None:
            raise Forbidden("This account is not linked to a volunteer record")
        return str(row["subject"])

    async def disclosures(
        self, identity: Identity, *, before: int | None, limit: int
    ) -> DisclosurePage:
        """Every disclosure of the caller's data, newest first, each with its receipt."""
        subject = await self._subject(identity)
        head = await signed_head(self.ledger)
        condition = (
            (LedgerEntry.subject == subject)
            & (LedgerEntry.kind == "disclosure")
            & (LedgerEntry.idx < head.size)
        )
        if before is not None:
            condition = condition & (LedgerEntry.idx < before)
        rows = await (
            LedgerEntry.select(*ENTRY_COLUMNS)
            .where(condition)
            .order_by(LedgerEntry.idx, ascending=False)
            .limit(limit + 1)
        )
        more = len(rows) > limit
        rows = rows[:limit]
        refs = await organisation_refs([r["recipient_org"] for r in rows])
        names = {key: name for key, (name, _kind) in refs.items()}
        emails = await user_emails([r["recipient_user"] for r in rows])
        items = []
        for row in rows:
            body = body_of(row)
            purpose = vocabulary().purpose(row["purpose"])
            items.append(
                DisclosureOut(
                    index=int(row["idx"]),
                    logged_at=str(body.get("timestamp", "")),
                    purpose=row["purpose"],
                    purpose_label=purpose.label if purpose else row["purpose"],
                    lawful_basis=str(body.get("lawful_basis", "")),
                    recipient_org=row["recipient_org"],
                    recipient_org_name=names.get(row["recipient_org"])
                    or ("the force" if row["recipient_org"] == "force" else None),
                    recipient_kind=recipient_kind(row["recipient_org"], refs),
                    recipient_user=row["recipient_user"],
                    recipient_user_email=emails.get(row["recipient_user"]),
                    categories=list(body.get("categories", [])),
                    consent_ids=list(body.get("consent_ids", [])),
                    agreement_ids=list(body.get("agreement_ids", [])),
                    channel=row["channel"],
                    receipt=await receipt_for(self.ledger, int(row["idx"]), head),
                )
            )
        log.info("volunteer.disclosures_listed", count=len(items))
        return DisclosurePage(
            items=items, next_cursor=items[-1].index if more and items else None, limit=limit
        )

    async def bundle(self, identity: Identity, *, limit: int) -> EvidenceBundle:
        """The caller's ledger entries (newest ``limit``) with proofs; see :func:`build_bundle`."""
        return await build_bundle(self.ledger, await self._subject(identity), limit=limit)


async def build_bundle(ledger: Ledger, subject: str, *, limit: int) -> EvidenceBundle:
    """The entries about ``subject`` (newest ``limit``) with proofs against one checkpoint.

    The checkpoint carries the witnesses' cosignatures: the newest cosigned one when it
    already covers every entry of the bundle (the latest tree is often not cosigned yet),
    otherwise the latest with whatever cosignatures it has. Its completeness proof (docs/VERIFY.md
    §5) shows the entries are all those about ``subject`` in that tree, so a bundle cut short by
    ``limit`` does not prove complete. Only the pseudonym is needed: after erasure has cut it
    from the person, the DPO can still build the bundle (``esp-portal ledger bundle``).
    """
    head = await signed_head(ledger)
    rows = await (
        LedgerEntry.select(*ENTRY_COLUMNS)
        .where((LedgerEntry.subject == subject) & (LedgerEntry.idx < head.size))
        .order_by(LedgerEntry.idx, ascending=False)
        .limit(limit)
    )
    head = await _witnessed_head(ledger, head, 1 + max((int(r["idx"]) for r in rows), default=0))
    entries = []
    for row in rows:
        index = int(row["idx"])
        proof = await ledger.inclusion_proof(index, head.size)
        body = bytes(row["body"])
        entries.append(
            BundleEntry(
                index=index,
                entry_b64=b64(body),
                entry=json.loads(body),
                leaf_hash=b64(bytes(row["leaf_hash"])),
                inclusion_path=[b64(h) for h in proof.inclusion_path],
            )
        )
    completeness = await _completeness(ledger, subject, head.size)
    log.info(
        "volunteer.bundle_built",
        entries=len(entries),
        tree_size=head.size,
        completeness=completeness is not None,
    )
    return EvidenceBundle(
        format=FORMAT,
        origin=ledger.origin,
        verifier_key=ledger.verifier_key(),
        checkpoint=head.note,
        tree_size=head.size,
        subject=subject,
        generated_at=utcnow(),
        how_to_verify=HOW_TO_VERIFY,
        entries=entries,
        completeness=completeness,
    )


async def _witnessed_head(ledger: Ledger, head: SignedHead, needed: int) -> SignedHead:
    store = CosignatureStore(ledger.engine)
    size = await store.latest_cosigned_size(at_least=needed, at_most=head.size)
    if size is not None and size != head.size:
        note = await ledger.checkpoint_at(size)
        return SignedHead(with_cosignatures(note, await store.lines_for(size)), size)
    return SignedHead(with_cosignatures(head.note, await store.lines_for(head.size)), head.size)


async def _completeness(ledger: Ledger, subject: str, tree_size: int) -> dict[str, Any] | None:
    """The subject map proof at ``tree_size``; None for a tree from before subject maps."""
    if tree_size == 0:
        return None
    try:
        proof = await ledger.completeness_proof(subject, tree_size)
    except LedgerNotFoundError:
        return None
    return proof.to_json()
